/**
 * The property values of Schedule and Calendar objects on the wire (ASHRAE
 * 135 Clause 21, encoded per §20.2): Weekly_Schedule (BACnetARRAY[7] of
 * BACnetDailySchedule), Exception_Schedule (BACnetARRAY of
 * BACnetSpecialEvent), Effective_Period (BACnetDateRange), Schedule_Default
 * (any primitive), Date_List (BACnetLIST of BACnetCalendarEntry).
 *
 * Why our own codec: @bacnet-js/client 3.3.2 cannot encode or decode a
 * calendar-reference in a special event (its decoder takes context tag [1]
 * for a date range), refuses week-of-month 7..9 (the "second-last" .. "fourth
 * -last" weeks of 135-2016), turns every Time into a JavaScript Date (losing
 * unspecified fields), decodes an unspecified or odd/even Date as "zero
 * date", and misreads a special event with an empty list-of-time-values (it
 * takes the closing tag [2] for the priority). Each encode takes the plain
 * shapes of libs/schedules and returns the octets between a property's
 * opening and closing tag [3]; each decode takes those octets and must
 * consume them all. The pieces they are built from (Date, Time, values,
 * calendar entries) are in schedule-primitives.ts. schedule-codec.spec.ts
 * checks this codec against the library's own decoders and encoders where
 * they work.
 */
import type {
  BacnetCalendarEntry,
  BacnetDailySchedule,
  BacnetDateRange,
  BacnetObjectId,
  BacnetSpecialEvent,
  BacnetValue,
} from '#libs/schedules';
import { Asn1Error, Asn1Reader, Asn1Writer, TAG, readUnsigned } from './asn1-tags.js';
import {
  octet,
  readCalendarEntry,
  readDateRange,
  readTimeValues,
  readValue,
  writeCalendarEntry,
  writeDateRange,
  writeTimeValues,
  writeValue,
} from './schedule-primitives.js';

export { Asn1Error } from './asn1-tags.js';
export { shortestReal } from './schedule-primitives.js';

const WEEKDAYS = 7;

// ---- properties ---------------------------------------------------------------------------------------------------

function decodeAll<T>(value: Buffer, what: string, read: (r: Asn1Reader) => T): T {
  const r = new Asn1Reader(value);
  const out = read(r);
  if (!r.done) throw new Asn1Error(`${what}: ${value.length - r.pos} octets left over at octet ${r.pos}`);
  return out;
}

export function encodeDailySchedule(day: BacnetDailySchedule, what = 'daySchedule'): Buffer {
  const w = new Asn1Writer().open(0);
  writeTimeValues(w, day.daySchedule, what);
  return w.close(0).toBuffer();
}

function readDailySchedule(r: Asn1Reader, what: string): BacnetDailySchedule {
  r.expectOpening(0, what);
  const daySchedule = readTimeValues(r, 0, `${what}.daySchedule`);
  r.expectClosing(0, what);
  return { daySchedule };
}

/** Weekly_Schedule (§12.24): exactly 7 days, Monday first. */
export function encodeWeeklySchedule(days: BacnetDailySchedule[]): Buffer {
  if (days.length !== WEEKDAYS) throw new Asn1Error(`weeklySchedule must hold 7 days, got ${days.length}`);
  return Buffer.concat(days.map((d, i) => encodeDailySchedule(d, `weeklySchedule[${i}].daySchedule`)));
}

export function decodeWeeklySchedule(value: Buffer): BacnetDailySchedule[] {
  return decodeAll(value, 'weeklySchedule', (r) => {
    const days: BacnetDailySchedule[] = [];
    while (!r.done) days.push(readDailySchedule(r, `weeklySchedule[${days.length}]`));
    if (days.length !== WEEKDAYS) throw new Asn1Error(`weeklySchedule must hold 7 days, got ${days.length}`);
    return days;
  });
}

export function decodeDailySchedule(value: Buffer): BacnetDailySchedule {
  return decodeAll(value, 'daySchedule', (r) => readDailySchedule(r, 'daySchedule'));
}

export function encodeSpecialEvent(e: BacnetSpecialEvent, what = 'specialEvent'): Buffer {
  const w = new Asn1Writer();
  if (e.period.type === 'calendarEntry') {
    w.open(0);
    writeCalendarEntry(w, e.period.calendarEntry, `${what}.period.calendarEntry`);
    w.close(0);
  } else {
    const { type, instance } = e.period.calendarReference;
    w.objectId(
      octet(type, `${what}.calendarReference.type`, 0, 1023),
      octet(instance, `${what}.calendarReference.instance`, 0, 0x3fffff),
      1,
    );
  }
  w.open(2);
  writeTimeValues(w, e.listOfTimeValues, `${what}.listOfTimeValues`);
  w.close(2);
  return w.unsigned(octet(e.eventPriority, `${what}.eventPriority`, 1, 16), 3).toBuffer();
}

function readSpecialEvent(r: Asn1Reader, what: string): BacnetSpecialEvent {
  let period: BacnetSpecialEvent['period'];
  if (r.isOpening(0)) {
    r.next();
    period = { type: 'calendarEntry', calendarEntry: readCalendarEntry(r, `${what}.period.calendarEntry`) };
    r.expectClosing(0, `${what}.period.calendarEntry`);
  } else {
    const b = r.context(1, `${what}.period (calendarEntry [0] or calendarReference [1])`);
    if (b.length !== 4)
      throw new Asn1Error(`${what}.calendarReference: an object identifier has 4 octets, got ${b.length}`);
    const id = b.readUInt32BE(0);
    period = { type: 'calendarReference', calendarReference: objectIdOf(id) };
  }
  r.expectOpening(2, `${what}.listOfTimeValues`);
  const listOfTimeValues = readTimeValues(r, 2, `${what}.listOfTimeValues`);
  r.expectClosing(2, `${what}.listOfTimeValues`);
  const eventPriority = readUnsigned(r.context(3, `${what}.eventPriority`), `${what}.eventPriority`);
  return { period, listOfTimeValues, eventPriority };
}

function objectIdOf(id: number): BacnetObjectId {
  return { type: id >>> 22, instance: id & 0x3fffff };
}

/** Exception_Schedule (§12.24). */
export function encodeExceptionSchedule(events: BacnetSpecialEvent[]): Buffer {
  return Buffer.concat(events.map((e, i) => encodeSpecialEvent(e, `exceptionSchedule[${i}]`)));
}

export function decodeExceptionSchedule(value: Buffer): BacnetSpecialEvent[] {
  return decodeAll(value, 'exceptionSchedule', (r) => {
    const events: BacnetSpecialEvent[] = [];
    while (!r.done) events.push(readSpecialEvent(r, `exceptionSchedule[${events.length}]`));
    return events;
  });
}

export function decodeSpecialEvent(value: Buffer): BacnetSpecialEvent {
  return decodeAll(value, 'specialEvent', (r) => readSpecialEvent(r, 'specialEvent'));
}

/** Effective_Period (§12.24). */
export function encodeEffectivePeriod(range: BacnetDateRange): Buffer {
  const w = new Asn1Writer();
  writeDateRange(w, range, 'effectivePeriod');
  return w.toBuffer();
}

export function decodeEffectivePeriod(value: Buffer): BacnetDateRange {
  return decodeAll(value, 'effectivePeriod', (r) => readDateRange(r, 'effectivePeriod'));
}

/** Date_List of a Calendar (§12.9). */
export function encodeDateList(entries: BacnetCalendarEntry[]): Buffer {
  const w = new Asn1Writer();
  entries.forEach((e, i) => writeCalendarEntry(w, e, `dateList[${i}]`));
  return w.toBuffer();
}

export function decodeDateList(value: Buffer): BacnetCalendarEntry[] {
  return decodeAll(value, 'dateList', (r) => {
    const entries: BacnetCalendarEntry[] = [];
    while (!r.done) entries.push(readCalendarEntry(r, `dateList[${entries.length}]`));
    return entries;
  });
}

/** Schedule_Default (§12.24), or any one scheduled value. */
export function encodeScheduleValue(v: BacnetValue, what = 'scheduleDefault'): Buffer {
  const w = new Asn1Writer();
  writeValue(w, v, what);
  return w.toBuffer();
}

export function decodeScheduleValue(value: Buffer, what = 'scheduleDefault'): BacnetValue {
  return decodeAll(value, what, (r) => readValue(r, what));
}

export function encodeCharacterString(s: string): Buffer {
  return new Asn1Writer().characterString(s).toBuffer();
}

/** A CharacterString in UTF-8 or ISO 8859-1 (the character sets devices send, §20.2.9). */
export function decodeCharacterString(value: Buffer, what = 'objectName'): string {
  return decodeAll(value, what, (r) => {
    const b = r.application(TAG.CHARACTER_STRING, what);
    if (b.length === 0) throw new Asn1Error(`${what}: a CharacterString needs its character-set octet`);
    if (b[0] === 0) return b.subarray(1).toString('utf8');
    if (b[0] === 5) return b.subarray(1).toString('latin1');
    throw new Asn1Error(`${what}: character set ${b[0]} is not supported (UTF-8 and ISO 8859-1 are)`);
  });
}
