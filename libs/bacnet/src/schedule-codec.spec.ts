/**
 * Our codec for Schedule and Calendar values against the library's own
 * decoders (what we send, it reads as we meant) and its WriteProperty encoder
 * (what it sends, we read as it meant), plus what only ours carries —
 * calendar references, week-of-month 7..9, unspecified date and time octets —
 * checked octet by octet against ASHRAE 135 §20.2.
 */
import { describe, expect, it } from '@jest/globals';
import type {
  BacnetCalendarEntry,
  BacnetDailySchedule,
  BacnetDateRange,
  BacnetSpecialEvent,
  BacnetTime,
  BacnetValue,
} from '#libs/schedules';
import {
  Asn1Error,
  decodeCharacterString,
  decodeDateList,
  decodeEffectivePeriod,
  decodeExceptionSchedule,
  decodeScheduleValue,
  decodeWeeklySchedule,
  encodeCharacterString,
  encodeDailySchedule,
  encodeDateList,
  encodeEffectivePeriod,
  encodeExceptionSchedule,
  encodeScheduleValue,
  encodeWeeklySchedule,
  shortestReal,
} from './schedule-codec.js';
import {
  ApplicationTag as T,
  ObjectType,
  PropertyIdentifier as P,
  libDecode,
  libEncode,
} from './test-support/lib-schedule-codec.js';
import type { LibDecoded } from './test-support/lib-schedule-codec.js';

const ANY = 255;
const at = (hour: number, minute = 0, second = 0): BacnetTime => ({ hour, minute, second, hundredths: 0 });
const real = (value: number): BacnetValue => ({ type: 'real', value });
const date = (year: number, month: number, day: number, dayOfWeek = ANY) => ({ year, month, day, dayOfWeek });

const WEEKLY: BacnetDailySchedule[] = [
  {
    daySchedule: [
      { time: at(7), value: real(21.5) },
      { time: at(18, 30), value: { type: 'null' } },
    ],
  },
  {
    daySchedule: [
      { time: at(7), value: real(20.1) },
      { time: at(18, 30, 15), value: real(-3.25) },
    ],
  },
  { daySchedule: [] },
  { daySchedule: [{ time: at(0), value: real(1e6) }] },
  { daySchedule: [{ time: at(23, 59, 59), value: real(0) }] },
  { daySchedule: [] },
  { daySchedule: [{ time: at(12), value: { type: 'null' } }] },
];

/** Events the library can encode and decode too: a date, a range, a week-and-day with week ≤ 6. */
const COMMON_EVENTS: BacnetSpecialEvent[] = [
  {
    period: { type: 'calendarEntry', calendarEntry: { type: 'date', date: date(2025, 12, 24, 3) } },
    listOfTimeValues: [{ time: at(8), value: real(18) }],
    eventPriority: 10,
  },
  {
    period: {
      type: 'calendarEntry',
      calendarEntry: {
        type: 'dateRange',
        dateRange: { startDate: date(2025, 8, 4, 1), endDate: date(2025, 8, 15, 5) },
      },
    },
    listOfTimeValues: [{ time: at(0), value: real(16) }],
    eventPriority: 16,
  },
  {
    period: {
      type: 'calendarEntry',
      calendarEntry: { type: 'weekNDay', weekNDay: { month: 5, weekOfMonth: 6, dayOfWeek: 1 } },
    },
    listOfTimeValues: [
      { time: at(0), value: { type: 'null' } },
      { time: at(9, 15), value: real(19.5) },
    ],
    eventPriority: 1,
  },
];

function timeOf(d: LibDecoded): [number, number, number] {
  const t = d.value as Date;
  return [t.getHours(), t.getMinutes(), t.getSeconds()];
}

function rawDate(d: LibDecoded) {
  const r = d.raw!;
  return { year: r.year === ANY ? ANY : r.year + 1900, month: r.month, day: r.day, dayOfWeek: r.wday };
}

describe('Weekly_Schedule', () => {
  it('encodes what the library decodes: 7 days, each time and value in order', () => {
    const lib = libDecode.weeklySchedule(encodeWeeklySchedule(WEEKLY));
    expect(lib).toHaveLength(7);
    lib.forEach((day, i) => {
      expect(day.map((tv) => timeOf(tv.time))).toEqual(
        WEEKLY[i].daySchedule.map((tv) => [tv.time.hour, tv.time.minute, tv.time.second]),
      );
      expect(
        day.map((tv) => (tv.value.type === T.NULL ? null : shortestReal(tv.value.value as number))),
      ).toEqual(WEEKLY[i].daySchedule.map((tv) => (tv.value.type === 'null' ? null : tv.value.value)));
    });
  });

  it('decodes what the library encodes, octet for octet the same as ours', () => {
    const libValues = WEEKLY.map((d) =>
      d.daySchedule.map((tv) => ({
        time: { type: T.TIME, value: new Date(2000, 0, 1, tv.time.hour, tv.time.minute, tv.time.second) },
        value:
          tv.value.type === 'null'
            ? { type: T.NULL, value: null }
            : { type: T.REAL, value: (tv.value as { value: number }).value },
      })),
    );
    const octets = libEncode(ObjectType.SCHEDULE, P.WEEKLY_SCHEDULE, libValues);
    expect(decodeWeeklySchedule(octets)).toEqual(WEEKLY);
    expect(octets).toEqual(encodeWeeklySchedule(WEEKLY));
  });

  it('keeps every value datatype a Schedule may hold', () => {
    const values: BacnetValue[] = [
      { type: 'boolean', value: true },
      { type: 'boolean', value: false },
      { type: 'unsigned', value: 4294967295 },
      { type: 'enumerated', value: 3 },
      { type: 'signed', value: -129 },
      { type: 'signed', value: 2147483647 },
      { type: 'double', value: 0.1 },
      { type: 'real', value: 20.1 },
      { type: 'null' },
    ];
    for (const v of values) expect(decodeScheduleValue(encodeScheduleValue(v))).toEqual(v);
  });

  it('refuses a week of 6 days and a value that is no schedule datatype, naming where', () => {
    expect(() => encodeWeeklySchedule(WEEKLY.slice(1))).toThrow('weeklySchedule must hold 7 days, got 6');
    const sixDays = Buffer.concat(WEEKLY.slice(1).map((d) => encodeDailySchedule(d)));
    expect(() => decodeWeeklySchedule(sixDays)).toThrow('weeklySchedule must hold 7 days, got 6');
    expect(() => decodeWeeklySchedule(encodeWeeklySchedule(WEEKLY).subarray(0, -1))).toThrow(Asn1Error);
    // Monday 07:00 holding a CharacterString 'x'
    const text = Buffer.from([0x0e, 0xb4, 7, 0, 0, 0, 0x72, 0x00, 0x78, 0x0f]);
    expect(() => decodeWeeklySchedule(text)).toThrow(
      'weeklySchedule[0].daySchedule[0].value: a schedule value of type character-string is not supported',
    );
  });
});

describe('Exception_Schedule', () => {
  it('encodes what the library decodes: a date, a date range and a week-and-day with priorities', () => {
    const lib = libDecode.exceptionSchedule(encodeExceptionSchedule(COMMON_EVENTS));
    expect(lib).toHaveLength(3);
    expect(lib[0].date.type).toBe(T.DATE);
    expect(rawDate(lib[0].date)).toEqual(date(2025, 12, 24, 3));
    expect(lib[1].date.type).toBe(T.DATERANGE);
    expect((lib[1].date.value as LibDecoded[]).map(rawDate)).toEqual([
      date(2025, 8, 4, 1),
      date(2025, 8, 15, 5),
    ]);
    expect(lib[2].date).toMatchObject({ type: T.WEEKNDAY, value: { month: 5, week: 6, wday: 1 } });
    expect(lib.map((e) => e.priority.value)).toEqual([10, 16, 1]);
    expect(lib[2].events.map((e) => timeOf(e.time))).toEqual([
      [0, 0, 0],
      [9, 15, 0],
    ]);
    expect(lib[2].events.map((e) => e.value.value)).toEqual([null, 19.5]);
  });

  it('decodes what the library encodes', () => {
    const libDate = (d: { year: number; month: number; day: number; dayOfWeek: number }) => ({
      type: T.DATE,
      raw: { year: d.year - 1900, month: d.month, day: d.day, wday: d.dayOfWeek },
      value: new Date(d.year, d.month - 1, d.day),
    });
    const libEvents = [
      {
        date: libDate(date(2025, 12, 24, 3)),
        events: [
          { time: { type: T.TIME, value: new Date(2000, 0, 1, 8) }, value: { type: T.REAL, value: 18 } },
        ],
        priority: 10,
      },
      {
        date: { type: T.DATERANGE, value: [libDate(date(2025, 8, 4, 1)), libDate(date(2025, 8, 15, 5))] },
        events: [{ time: { type: T.TIME, value: new Date(2000, 0, 1) }, value: { type: T.REAL, value: 16 } }],
        priority: 16,
      },
      {
        date: { type: T.WEEKNDAY, value: { month: 5, week: 6, wday: 1 } },
        events: [
          { time: { type: T.TIME, value: new Date(2000, 0, 1, 0) }, value: { type: T.NULL, value: null } },
          {
            time: { type: T.TIME, value: new Date(2000, 0, 1, 9, 15) },
            value: { type: T.REAL, value: 19.5 },
          },
        ],
        priority: 1,
      },
    ];
    const octets = libEncode(ObjectType.SCHEDULE, P.EXCEPTION_SCHEDULE, libEvents);
    expect(decodeExceptionSchedule(octets)).toEqual(COMMON_EVENTS);
    expect(octets).toEqual(encodeExceptionSchedule(COMMON_EVENTS));
  });

  it('carries a calendar reference as context tag [1], octet for octet (§21 BACnetSpecialEvent)', () => {
    const event: BacnetSpecialEvent = {
      period: { type: 'calendarReference', calendarReference: { type: 6, instance: 3 } },
      listOfTimeValues: [{ time: at(8), value: real(21.5) }],
      eventPriority: 10,
    };
    const octets = encodeExceptionSchedule([event]);
    // [1] calendar:3 = 6<<22|3; [2] { 08:00:00.00 REAL 21.5 } [3] 10
    expect([...octets]).toEqual([
      0x1c, 0x01, 0x80, 0x00, 0x03, 0x2e, 0xb4, 8, 0, 0, 0, 0x44, 0x41, 0xac, 0x00, 0x00, 0x2f, 0x39, 10,
    ]);
    expect(decodeExceptionSchedule(octets)).toEqual([event]);
  });

  it('carries the weeks the library refuses (7..9: second- to fourth-last), unspecified octets, an empty list', () => {
    const events: BacnetSpecialEvent[] = [9, 8, 7].map((week, i) => ({
      period: {
        type: 'calendarEntry',
        calendarEntry: { type: 'weekNDay', weekNDay: { month: 13, weekOfMonth: week, dayOfWeek: ANY } },
      },
      // The library's decoder misreads an empty list-of-time-values: it takes the closing tag [2] for the priority.
      listOfTimeValues:
        i === 1
          ? []
          : [
              {
                time: { hour: 6, minute: 30, second: ANY, hundredths: 50 },
                value: { type: 'enumerated', value: 1 },
              },
            ],
      eventPriority: 14 + i,
    }));
    expect(() =>
      libEncode(ObjectType.SCHEDULE, P.EXCEPTION_SCHEDULE, [
        { date: { type: T.WEEKNDAY, value: { month: 13, week: 9, wday: ANY } }, events: [], priority: 14 },
      ]),
    ).toThrow('invalid raw date week');
    expect(decodeExceptionSchedule(encodeExceptionSchedule(events))).toEqual(events);
  });

  it('refuses a priority outside 1..16 and names a truncated event', () => {
    expect(() => encodeExceptionSchedule([{ ...COMMON_EVENTS[0], eventPriority: 17 }])).toThrow(
      'exceptionSchedule[0].eventPriority must be 1..16, got 17',
    );
    const octets = encodeExceptionSchedule(COMMON_EVENTS);
    expect(() => decodeExceptionSchedule(octets.subarray(0, octets.length - 1))).toThrow('truncated');
  });
});

describe('Effective_Period and Date_List', () => {
  const period: BacnetDateRange = { startDate: date(2025, 1, 1, 3), endDate: date(ANY, ANY, ANY, ANY) };
  const entries: BacnetCalendarEntry[] = [
    { type: 'date', date: date(2025, 12, 25, 4) },
    { type: 'dateRange', dateRange: { startDate: date(2025, 12, 27, 6), endDate: date(2026, 1, 2, 5) } },
    { type: 'weekNDay', weekNDay: { month: 5, weekOfMonth: 6, dayOfWeek: 1 } },
    { type: 'date', date: date(ANY, 1, 1) },
  ];

  it("encode what the library decodes, unspecified dates as X'FF' octets", () => {
    const lib = libDecode.effectivePeriod(encodeEffectivePeriod(period));
    expect(lib.map(rawDate)).toEqual([period.startDate, period.endDate]);
    const list = libDecode.dateList(encodeDateList(entries));
    expect(list.map((e) => e.type)).toEqual([T.DATE, T.DATERANGE, T.WEEKNDAY, T.DATE]);
    expect(rawDate(list[3])).toEqual(date(ANY, 1, 1));
    expect(list[2].value).toEqual({ month: 5, week: 6, wday: 1 });
  });

  it('decode what the library encodes', () => {
    const raw = (d: { year: number; month: number; day: number; dayOfWeek: number }) => ({
      type: T.DATE,
      raw: { year: d.year === ANY ? ANY : d.year - 1900, month: d.month, day: d.day, wday: d.dayOfWeek },
    });
    const libPeriod = [raw(period.startDate), raw(period.endDate)];
    const octets = libEncode(ObjectType.SCHEDULE, P.EFFECTIVE_PERIOD, libPeriod);
    expect(decodeEffectivePeriod(octets)).toEqual(period);
    const libList = [
      raw(date(2025, 12, 25, 4)),
      { type: T.DATERANGE, value: [raw(date(2025, 12, 27, 6)), raw(date(2026, 1, 2, 5))] },
      { type: T.WEEKNDAY, value: { month: 5, week: 6, wday: 1 } },
      raw(date(ANY, 1, 1)),
    ];
    const listOctets = libEncode(ObjectType.CALENDAR, P.DATE_LIST, libList);
    expect(decodeDateList(listOctets)).toEqual(entries);
    expect(listOctets).toEqual(encodeDateList(entries));
  });

  it('refuses a year the Date octet cannot hold and left-over octets', () => {
    expect(() => encodeEffectivePeriod({ ...period, startDate: date(2155, 1, 1) })).toThrow(
      'effectivePeriod.startDate.year must be 1900..2154, got 2155',
    );
    expect(() => decodeDateList(Buffer.from([0x0c, 125, 1, 1, 255, 0x00]))).toThrow(Asn1Error);
  });
});

describe('names and REALs', () => {
  it('reads a REAL back as the shortest decimal of the same float', () => {
    expect(shortestReal(Math.fround(20.1))).toBe(20.1);
    expect(shortestReal(Math.fround(0.3))).toBe(0.3);
    expect(shortestReal(Math.fround(16777217))).toBe(16777216);
    expect(decodeScheduleValue(encodeScheduleValue(real(21.7)))).toEqual(real(21.7));
  });

  it('round-trips an object name in UTF-8 and reads ISO 8859-1', () => {
    expect(decodeCharacterString(encodeCharacterString('Büro Öffnungszeiten'))).toBe('Büro Öffnungszeiten');
    expect(decodeCharacterString(Buffer.from([0x75, 0x03, 0x05, 0xfc, 0x62]))).toBe('üb');
  });
});
