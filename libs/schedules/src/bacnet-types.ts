/**
 * BACnet Schedule and Calendar property values as plain data, mirroring
 * ASHRAE 135 (Clause 12.24 Schedule, Clause 12.9 Calendar, Clause 21 for the
 * constructed types, Clause 20.2.12/20.2.13 for Date and Time octets). This
 * library never talks to devices: libs/bacnet maps these shapes to and from
 * the wire. Every octet that may be "unspecified" uses BACNET_UNSPECIFIED.
 */

/** X'FF': the wildcard octet of Date, Time and BACnetWeekNDay. */
export const BACNET_UNSPECIFIED = 0xff;
/** BACnetObjectType calendar (6): the only object a calendarReference may name. */
export const BACNET_OBJECT_TYPE_CALENDAR = 6;

/**
 * Date (Clause 20.2.12). `year` is the full year (1900..2154) or 255; month
 * 1..12, 13 odd, 14 even or 255; day 1..31, 32 last, 33 odd, 34 even or 255;
 * dayOfWeek 1 (Monday) .. 7 or 255.
 */
export interface BacnetDate {
  year: number;
  month: number;
  day: number;
  dayOfWeek: number;
}

/** Time (Clause 20.2.13): hour 0..23, minute, second 0..59, hundredths 0..99; any may be 255. */
export interface BacnetTime {
  hour: number;
  minute: number;
  second: number;
  hundredths: number;
}

export interface BacnetDateRange {
  startDate: BacnetDate;
  endDate: BacnetDate;
}

/** BACnetWeekNDay: month 1..14 | 255, weekOfMonth 1..9 | 255, dayOfWeek 1..7 | 255. */
export interface BacnetWeekNDay {
  month: number;
  weekOfMonth: number;
  dayOfWeek: number;
}

/** BACnetCalendarEntry ::= CHOICE { date [0], dateRange [1], weekNDay [2] }. */
export type BacnetCalendarEntry =
  | { type: 'date'; date: BacnetDate }
  | { type: 'dateRange'; dateRange: BacnetDateRange }
  | { type: 'weekNDay'; weekNDay: BacnetWeekNDay };

export interface BacnetObjectId {
  type: number;
  instance: number;
}

/** Application datatypes a Schedule may hold; every non-NULL value of one Schedule has the same one. */
export type BacnetValueType = 'real' | 'double' | 'unsigned' | 'signed' | 'enumerated' | 'boolean';

export type BacnetValue =
  | { type: 'null' }
  | { type: 'boolean'; value: boolean }
  | { type: Exclude<BacnetValueType, 'boolean'>; value: number };

export interface BacnetTimeValue {
  time: BacnetTime;
  value: BacnetValue;
}

export interface BacnetDailySchedule {
  daySchedule: BacnetTimeValue[];
}

/** BACnetSpecialEvent: period CHOICE { calendarEntry [0], calendarReference [1] }, list, priority 1..16. */
export interface BacnetSpecialEvent {
  period:
    | { type: 'calendarEntry'; calendarEntry: BacnetCalendarEntry }
    | { type: 'calendarReference'; calendarReference: BacnetObjectId };
  listOfTimeValues: BacnetTimeValue[];
  eventPriority: number;
}

/** The Schedule properties that describe what is scheduled (not where it is written). */
export interface BacnetScheduleObject {
  objectName: string;
  effectivePeriod: BacnetDateRange;
  /** Exactly 7 entries, Monday first. */
  weeklySchedule: BacnetDailySchedule[];
  exceptionSchedule: BacnetSpecialEvent[];
  scheduleDefault: BacnetValue;
}

export interface BacnetCalendarObject {
  objectName: string;
  dateList: BacnetCalendarEntry[];
}
