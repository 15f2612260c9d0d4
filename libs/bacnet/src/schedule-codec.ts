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
 * takes the closing tag [2] for the priority). Each encode takes the plain shapes of libs/schedules and returns the
 * octets between a property's opening and closing tag [3]; each decode takes
 * those octets and must consume them all. schedule-codec.spec.ts checks this
 * codec against the library's own decoders and encoders where they work.
 */
import type {
  BacnetCalendarEntry,
  BacnetDailySchedule,
  BacnetDate,
  BacnetDateRange,
  BacnetObjectId,
  BacnetSpecialEvent,
  BacnetTime,
  BacnetTimeValue,
  BacnetValue,
} from '#libs/schedules';
import {
  Asn1Error,
  Asn1Reader,
  Asn1Writer,
  TAG,
  readSigned,
  readUnsigned,
  signedOctets,
} from './asn1-tags.js';

export { Asn1Error } from './asn1-tags.js';

/** X'FF', the "unspecified" octet of Date, Time and BACnetWeekNDay (§20.2.12, §20.2.13). */
const ANY = 0xff;
const WEEKDAYS = 7;

// ---- primitives --------------------------------------------------------------------------------------------------

function octet(n: number, what: string, lo = 0, hi = 255): number {
  if (!Number.isInteger(n) || n < lo || n > hi) throw new Asn1Error(`${what} must be ${lo}..${hi}, got ${n}`);
  return n;
}

/** Date octets (§20.2.12): year − 1900 (255 unspecified), month, day, day of week. */
function dateOctets(d: BacnetDate, what: string): number[] {
  const year = d.year === ANY ? ANY : octet(d.year, `${what}.year`, 1900, 2154) - 1900;
  return [
    year,
    octet(d.month, `${what}.month`),
    octet(d.day, `${what}.day`),
    octet(d.dayOfWeek, `${what}.dayOfWeek`),
  ];
}

function dateOf(b: Buffer, what: string): BacnetDate {
  if (b.length !== 4) throw new Asn1Error(`${what}: a Date has 4 octets, got ${b.length}`);
  return { year: b[0] === ANY ? ANY : b[0] + 1900, month: b[1], day: b[2], dayOfWeek: b[3] };
}

function timeOctets(t: BacnetTime, what: string): number[] {
  return [
    octet(t.hour, `${what}.hour`),
    octet(t.minute, `${what}.minute`),
    octet(t.second, `${what}.second`),
    octet(t.hundredths, `${what}.hundredths`),
  ];
}

function timeOf(b: Buffer, what: string): BacnetTime {
  if (b.length !== 4) throw new Asn1Error(`${what}: a Time has 4 octets, got ${b.length}`);
  return { hour: b[0], minute: b[1], second: b[2], hundredths: b[3] };
}

/** The shortest decimal that is the same REAL: 20.1 read back as REAL is 20.1, not 20.100000381469727. */
export function shortestReal(x: number): number {
  if (!Number.isFinite(x)) return x;
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(x.toPrecision(p));
    if (Math.fround(candidate) === x) return candidate;
  }
  return x;
}

function writeValue(w: Asn1Writer, v: BacnetValue, what: string): void {
  switch (v.type) {
    case 'null':
      w.raw(0x00);
      return;
    case 'boolean':
      w.raw((TAG.BOOLEAN << 4) | (v.value ? 1 : 0));
      return;
    case 'unsigned':
      w.unsigned(v.value);
      return;
    case 'enumerated':
      w.enumerated(v.value);
      return;
    case 'signed':
      w.primitive(TAG.SIGNED, signedOctets(v.value));
      return;
    case 'real': {
      if (!Number.isFinite(v.value)) throw new Asn1Error(`${what}: REAL must be finite, got ${v.value}`);
      const b = Buffer.alloc(4);
      b.writeFloatBE(v.value);
      w.primitive(TAG.REAL, [...b]);
      return;
    }
    case 'double': {
      if (!Number.isFinite(v.value)) throw new Asn1Error(`${what}: DOUBLE must be finite, got ${v.value}`);
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v.value);
      w.primitive(TAG.DOUBLE, [...b]);
      return;
    }
  }
}

const TAG_NAMES = [
  'null',
  'boolean',
  'unsigned',
  'signed',
  'real',
  'double',
  'octet-string',
  'character-string',
  'bit-string',
  'enumerated',
  'date',
  'time',
  'object-identifier',
];

function readValue(r: Asn1Reader, what: string): BacnetValue {
  const h = r.next();
  if (h.context) throw r.unexpected(h, `${what}: an application-tagged value`);
  switch (h.tagNumber) {
    case TAG.NULL:
      return { type: 'null' };
    case TAG.BOOLEAN:
      if (h.length > 1) throw new Asn1Error(`${what}: BOOLEAN value ${h.length}`);
      return { type: 'boolean', value: h.length === 1 };
    case TAG.UNSIGNED:
      return { type: 'unsigned', value: readUnsigned(r.content(h), what) };
    case TAG.ENUMERATED:
      return { type: 'enumerated', value: readUnsigned(r.content(h), what) };
    case TAG.SIGNED:
      return { type: 'signed', value: readSigned(r.content(h), what) };
    case TAG.REAL: {
      const b = r.content(h);
      if (b.length !== 4) throw new Asn1Error(`${what}: a REAL has 4 octets, got ${b.length}`);
      return { type: 'real', value: shortestReal(b.readFloatBE(0)) };
    }
    case TAG.DOUBLE: {
      const b = r.content(h);
      if (b.length !== 8) throw new Asn1Error(`${what}: a DOUBLE has 8 octets, got ${b.length}`);
      return { type: 'double', value: b.readDoubleBE(0) };
    }
    default:
      throw new Asn1Error(
        `${what}: a schedule value of type ${TAG_NAMES[h.tagNumber] ?? `application tag ${h.tagNumber}`} is not supported`,
      );
  }
}

function writeTimeValues(w: Asn1Writer, list: BacnetTimeValue[], what: string): void {
  list.forEach((tv, i) => {
    w.primitive(TAG.TIME, timeOctets(tv.time, `${what}[${i}].time`));
    writeValue(w, tv.value, `${what}[${i}].value`);
  });
}

/** BACnetTimeValues up to the closing tag [closeTag]. */
function readTimeValues(r: Asn1Reader, closeTag: number, what: string): BacnetTimeValue[] {
  const out: BacnetTimeValue[] = [];
  while (!r.isClosing(closeTag)) {
    const at = `${what}[${out.length}]`;
    const time = timeOf(r.application(TAG.TIME, `${at}.time`), `${at}.time`);
    out.push({ time, value: readValue(r, `${at}.value`) });
  }
  return out;
}

// ---- BACnetCalendarEntry ------------------------------------------------------------------------------------------

function writeCalendarEntry(w: Asn1Writer, e: BacnetCalendarEntry, what: string): void {
  switch (e.type) {
    case 'date':
      w.primitive(0, dateOctets(e.date, `${what}.date`), true);
      return;
    case 'dateRange':
      w.open(1);
      writeDateRange(w, e.dateRange, `${what}.dateRange`);
      w.close(1);
      return;
    case 'weekNDay': {
      const { month, weekOfMonth, dayOfWeek } = e.weekNDay;
      w.primitive(
        2,
        [
          octet(month, `${what}.month`),
          octet(weekOfMonth, `${what}.weekOfMonth`),
          octet(dayOfWeek, `${what}.dayOfWeek`),
        ],
        true,
      );
      return;
    }
  }
}

function readCalendarEntry(r: Asn1Reader, what: string): BacnetCalendarEntry {
  const h = r.peek();
  if (h.context && !h.opening && !h.closing && h.tagNumber === 0)
    return { type: 'date', date: dateOf(r.context(0, `${what}.date`), `${what}.date`) };
  if (h.opening && h.tagNumber === 1) {
    r.next();
    const dateRange = readDateRange(r, `${what}.dateRange`);
    r.expectClosing(1, `${what}.dateRange`);
    return { type: 'dateRange', dateRange };
  }
  if (h.context && !h.opening && !h.closing && h.tagNumber === 2) {
    const b = r.context(2, `${what}.weekNDay`);
    if (b.length !== 3)
      throw new Asn1Error(`${what}.weekNDay: a BACnetWeekNDay has 3 octets, got ${b.length}`);
    return { type: 'weekNDay', weekNDay: { month: b[0], weekOfMonth: b[1], dayOfWeek: b[2] } };
  }
  throw r.unexpected(h, `${what}: a BACnetCalendarEntry (date [0], dateRange [1] or weekNDay [2])`);
}

function writeDateRange(w: Asn1Writer, d: BacnetDateRange, what: string): void {
  w.primitive(TAG.DATE, dateOctets(d.startDate, `${what}.startDate`));
  w.primitive(TAG.DATE, dateOctets(d.endDate, `${what}.endDate`));
}

function readDateRange(r: Asn1Reader, what: string): BacnetDateRange {
  const startDate = dateOf(r.application(TAG.DATE, `${what}.startDate`), `${what}.startDate`);
  const endDate = dateOf(r.application(TAG.DATE, `${what}.endDate`), `${what}.endDate`);
  return { startDate, endDate };
}

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
