/**
 * Pure schedules (issue 4 item 3, DESIGN.md point 4): weekly programs,
 * exceptions and calendars evaluated in the site's IANA zone, correct across
 * DST; validation with named issues; alarms; BACnet Schedule/Calendar shapes.
 * No I/O and no clock: every function takes the instant it works on.
 */
export type * from './types.js';
export { DAYS_OF_WEEK } from './types.js';
export { ScheduleValidationError, BacnetConversionError, formatScheduleIssue } from './errors.js';
export type { ScheduleIssue } from './errors.js';
export {
  validateSchedule,
  validateCalendar,
  validateCalendars,
  assertValidSchedule,
  assertValidCalendars,
} from './validate.js';
export { effectiveAt, nextChange, NEXT_CHANGE_HORIZON_DAYS } from './evaluate.js';
export { scheduleAlarms, ENDING_SOON_DAYS } from './alarms.js';
export { timeZoneProblem } from './zone.js';
export {
  toBacnetSchedule,
  fromBacnetSchedule,
  toBacnetCalendar,
  fromBacnetCalendar,
  bacnetValueType,
} from './bacnet-convert.js';
export type { ToBacnetScheduleOptions, FromBacnetScheduleOptions } from './bacnet-convert.js';
export type * from './bacnet-types.js';
export { BACNET_UNSPECIFIED, BACNET_OBJECT_TYPE_CALENDAR } from './bacnet-types.js';
