/**
 * The building blocks of Schedule and Calendar property values (ASHRAE 135
 * §20.2, §21): Date, Time, the primitive values a schedule may hold,
 * BACnetTimeValue lists, BACnetCalendarEntry and BACnetDateRange, each
 * written to an Asn1Writer or read from an Asn1Reader with `what` naming the
 * field for errors. The property values built from them, and why this codec
 * is ours, are in schedule-codec.ts.
 */
import type {
  BacnetCalendarEntry,
  BacnetDate,
  BacnetDateRange,
  BacnetTime,
  BacnetTimeValue,
  BacnetValue,
} from '#libs/schedules';
import { Asn1Error, TAG, readSigned, readUnsigned, signedOctets } from './asn1-tags.js';
import type { Asn1Reader, Asn1Writer } from './asn1-tags.js';

/** X'FF', the "unspecified" octet of Date, Time and BACnetWeekNDay (§20.2.12, §20.2.13). */
const ANY = 0xff;

// ---- primitives --------------------------------------------------------------------------------------------------

export function octet(n: number, what: string, lo = 0, hi = 255): number {
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

export function writeValue(w: Asn1Writer, v: BacnetValue, what: string): void {
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

export function readValue(r: Asn1Reader, what: string): BacnetValue {
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

export function writeTimeValues(w: Asn1Writer, list: BacnetTimeValue[], what: string): void {
  list.forEach((tv, i) => {
    w.primitive(TAG.TIME, timeOctets(tv.time, `${what}[${i}].time`));
    writeValue(w, tv.value, `${what}[${i}].value`);
  });
}

/** BACnetTimeValues up to the closing tag [closeTag]. */
export function readTimeValues(r: Asn1Reader, closeTag: number, what: string): BacnetTimeValue[] {
  const out: BacnetTimeValue[] = [];
  while (!r.isClosing(closeTag)) {
    const at = `${what}[${out.length}]`;
    const time = timeOf(r.application(TAG.TIME, `${at}.time`), `${at}.time`);
    out.push({ time, value: readValue(r, `${at}.value`) });
  }
  return out;
}

// ---- BACnetCalendarEntry ------------------------------------------------------------------------------------------

export function writeCalendarEntry(w: Asn1Writer, e: BacnetCalendarEntry, what: string): void {
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

export function readCalendarEntry(r: Asn1Reader, what: string): BacnetCalendarEntry {
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

export function writeDateRange(w: Asn1Writer, d: BacnetDateRange, what: string): void {
  w.primitive(TAG.DATE, dateOctets(d.startDate, `${what}.startDate`));
  w.primitive(TAG.DATE, dateOctets(d.endDate, `${what}.endDate`));
}

export function readDateRange(r: Asn1Reader, what: string): BacnetDateRange {
  const startDate = dateOf(r.application(TAG.DATE, `${what}.startDate`), `${what}.startDate`);
  const endDate = dateOf(r.application(TAG.DATE, `${what}.endDate`), `${what}.endDate`);
  return { startDate, endDate };
}
