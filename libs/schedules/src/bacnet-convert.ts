/**
 * Schedules and calendars to and from BACnet Schedule and Calendar objects
 * (ASHRAE 135 Clause 12.24 and 12.9): Weekly_Schedule as 7 BACnetDailySchedule
 * (Monday first), Exception_Schedule as BACnetSpecialEvent, Effective_Period,
 * Schedule_Default, and a Calendar's Date_List.
 *
 * What BACnet does not carry is passed in: a schedule's `id` and `timeZone`
 * (a device runs on its own clock), the value datatype (a plain schedule holds
 * numbers; default REAL) and which Calendar object instance a calendar name
 * stands for. A round trip plain -> BACnet -> plain gives the same schedule
 * (times with :00 seconds come back as 'HH:MM'); BACnet -> plain -> BACnet
 * gives the same object except that a date's weekday octet comes back
 * unspecified (255). What cannot be carried either way (a wildcard month in a
 * Date, a time with hundredths, an unknown calendar) throws
 * BacnetConversionError naming every such field.
 */
import { BacnetConversionError } from './errors.js';
import {
  ANY_DATE,
  Issues,
  fromBacnetDate,
  fromBacnetEntry,
  fromBacnetTimeValues,
  fromBacnetValue,
  isAnyDate,
  toBacnetDate,
  toBacnetEntry,
  toBacnetTimeValues,
  toBacnetValue,
} from './bacnet-primitives.js';
import { BACNET_OBJECT_TYPE_CALENDAR } from './bacnet-types.js';
import type {
  BacnetCalendarObject,
  BacnetScheduleObject,
  BacnetSpecialEvent,
  BacnetValueType,
} from './bacnet-types.js';
import { DAYS_OF_WEEK } from './types.js';
import type { Calendar, ExceptionSchedule, Schedule, WeeklySchedule } from './types.js';

export interface ToBacnetScheduleOptions {
  /** The datatype of every non-NULL value; 'real' when absent. */
  valueType?: BacnetValueType;
  /** Calendar name -> Calendar object instance, for exceptions that refer to a calendar. */
  calendarInstances?: ReadonlyMap<string, number>;
}

export interface FromBacnetScheduleOptions {
  id: string;
  timeZone?: string;
  /** Calendar name -> Calendar object instance (the same map as for toBacnetSchedule). */
  calendarInstances?: ReadonlyMap<string, number>;
}

function finish<T>(issues: Issues, result: T): T {
  if (issues.list.length > 0) throw new BacnetConversionError(issues.list);
  return result;
}

export function toBacnetSchedule(
  schedule: Schedule,
  options: ToBacnetScheduleOptions = {},
): BacnetScheduleObject {
  const issues = new Issues();
  const type = options.valueType ?? 'real';
  const instances = options.calendarInstances ?? new Map<string, number>();
  const { from, to } = schedule.effectivePeriod;
  const exceptionSchedule = schedule.exceptions.map((ex, i): BacnetSpecialEvent => {
    const path = `exceptions[${i}]`;
    const listOfTimeValues = toBacnetTimeValues(ex.times, type, `${path}.times`, issues);
    if (ex.period.kind !== 'calendar')
      return {
        period: { type: 'calendarEntry', calendarEntry: toBacnetEntry(ex.period, `${path}.period`, issues) },
        listOfTimeValues,
        eventPriority: ex.priority,
      };
    const instance = instances.get(ex.period.calendar);
    if (instance === undefined)
      issues.add(
        `${path}.period.calendar`,
        `no Calendar object instance given for calendar "${ex.period.calendar}"`,
      );
    return {
      period: {
        type: 'calendarReference',
        calendarReference: { type: BACNET_OBJECT_TYPE_CALENDAR, instance: instance ?? 0 },
      },
      listOfTimeValues,
      eventPriority: ex.priority,
    };
  });
  return finish(issues, {
    objectName: schedule.name,
    effectivePeriod: {
      startDate: from === 'any' ? ANY_DATE : toBacnetDate(from, 'effectivePeriod.from', issues),
      endDate: to === 'any' ? ANY_DATE : toBacnetDate(to, 'effectivePeriod.to', issues),
    },
    weeklySchedule: DAYS_OF_WEEK.map((day) => ({
      daySchedule: toBacnetTimeValues(schedule.weekly[day], type, `weekly.${day}`, issues),
    })),
    exceptionSchedule,
    scheduleDefault: toBacnetValue(schedule.scheduleDefault, type, 'scheduleDefault', issues),
  });
}

export function fromBacnetSchedule(obj: BacnetScheduleObject, options: FromBacnetScheduleOptions): Schedule {
  const issues = new Issues();
  const types = new Map<BacnetValueType, string>();
  const names = new Map(
    [...(options.calendarInstances ?? new Map<string, number>())].map(([n, i]) => [i, n]),
  );
  if (obj.weeklySchedule.length !== 7)
    issues.add('weeklySchedule', `must hold 7 days (Monday first), got ${obj.weeklySchedule.length}`);
  const weekly = Object.fromEntries(
    DAYS_OF_WEEK.map((day, i) => [
      day,
      fromBacnetTimeValues(
        obj.weeklySchedule[i]?.daySchedule ?? [],
        `weeklySchedule[${i}].daySchedule`,
        issues,
        types,
      ),
    ]),
  ) as WeeklySchedule;
  const exceptions = obj.exceptionSchedule.map((event, i): ExceptionSchedule => {
    const path = `exceptionSchedule[${i}]`;
    const times = fromBacnetTimeValues(event.listOfTimeValues, `${path}.listOfTimeValues`, issues, types);
    const priority = event.eventPriority;
    if (!Number.isInteger(priority) || priority < 1 || priority > 16)
      issues.add(`${path}.eventPriority`, `must be 1-16, got ${priority}`);
    if (event.period.type === 'calendarEntry')
      return {
        period: fromBacnetEntry(event.period.calendarEntry, `${path}.period`, issues),
        times,
        priority,
      };
    const { type, instance } = event.period.calendarReference;
    const name = names.get(instance);
    if (type !== BACNET_OBJECT_TYPE_CALENDAR)
      issues.add(
        `${path}.period.calendarReference`,
        `must name a Calendar object (type 6), got type ${type}`,
      );
    else if (name === undefined)
      issues.add(
        `${path}.period.calendarReference`,
        `no calendar name given for Calendar object instance ${instance}`,
      );
    return { period: { kind: 'calendar', calendar: name ?? '' }, times, priority };
  });
  const { startDate, endDate } = obj.effectivePeriod;
  const scheduleDefault = fromBacnetValue(obj.scheduleDefault, 'scheduleDefault', issues, types);
  if (types.size > 1) {
    const [first, ...others] = [...types];
    for (const [type, path] of others)
      issues.add(
        path,
        `datatype ${type} differs from ${first[0]} at ${first[1]}: a Schedule holds one datatype`,
      );
  }
  return finish(issues, {
    id: options.id,
    name: obj.objectName,
    weekly,
    exceptions,
    effectivePeriod: {
      from: isAnyDate(startDate)
        ? 'any'
        : fromBacnetDate(startDate, 'effectivePeriod.startDate', issues, false),
      to: isAnyDate(endDate) ? 'any' : fromBacnetDate(endDate, 'effectivePeriod.endDate', issues, false),
    },
    scheduleDefault,
    ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }),
  });
}

/** The datatype of a BACnet schedule's non-NULL values, for writing it back as it was; undefined if all NULL. */
export function bacnetValueType(obj: BacnetScheduleObject): BacnetValueType | undefined {
  const values = [
    obj.scheduleDefault,
    ...obj.weeklySchedule.flatMap((d) => d.daySchedule.map((tv) => tv.value)),
    ...obj.exceptionSchedule.flatMap((e) => e.listOfTimeValues.map((tv) => tv.value)),
  ];
  for (const value of values) if (value.type !== 'null') return value.type;
  return undefined;
}

export function toBacnetCalendar(calendar: Calendar): BacnetCalendarObject {
  const issues = new Issues();
  const dateList = calendar.entries.map((entry, i) => toBacnetEntry(entry, `entries[${i}]`, issues));
  return finish(issues, { objectName: calendar.name, dateList });
}

export function fromBacnetCalendar(obj: BacnetCalendarObject): Calendar {
  const issues = new Issues();
  const entries = obj.dateList.map((entry, i) => fromBacnetEntry(entry, `dateList[${i}]`, issues));
  return finish(issues, { name: obj.objectName, entries });
}
