/**
 * The library's own decoders and WriteProperty encoder for schedule values,
 * so schedule-codec.spec.ts can check our codec against them. Test support
 * only: production code reaches the library through vendor.ts.
 */
import * as asn1 from '@bacnet-js/client/dist/lib/asn1.js';
import * as writePropertyModule from '@bacnet-js/client/dist/lib/services/WriteProperty.js';
import {
  ASN1_ARRAY_ALL,
  ASN1_NO_PRIORITY,
  ApplicationTag as LibApplicationTag,
  ObjectType as LibObjectType,
  PropertyIdentifier as LibPropertyIdentifier,
} from '@bacnet-js/client';
import { parsePropertyData } from '../raw-requests.js';

/** The library's enums as plain numbers, like vendor.ts gives them. */
type Plain<E> = { readonly [K in keyof E]: number };
export const ApplicationTag = LibApplicationTag as unknown as Plain<typeof LibApplicationTag>;
export const ObjectType = LibObjectType as unknown as Plain<typeof LibObjectType>;
export const PropertyIdentifier = LibPropertyIdentifier as unknown as Plain<typeof LibPropertyIdentifier>;

/** A decoded application value as the library returns it. */
export interface LibDecoded {
  type: number;
  value: unknown;
  raw?: { year: number; month: number; day: number; wday: number };
}

type Decoder = (
  buffer: Buffer,
  offset: number,
  apduLen: number,
) => { len: number; value: unknown[] } | undefined;

/**
 * Runs a library decoder on our value octets as they stand in a ReadProperty
 * answer: between opening and closing tag [3] (its decoders look at both).
 */
function inTag3(decoder: Decoder, value: Buffer): unknown[] {
  const buf = Buffer.concat([Buffer.from([0x3e]), value, Buffer.from([0x3f])]);
  const out = decoder(buf, 1, buf.length - 1);
  if (!out) throw new Error('the library could not decode the value');
  return out.value;
}

export const libDecode = {
  weeklySchedule: (v: Buffer) =>
    inTag3(asn1.decodeWeeklySchedule as Decoder, v) as { time: LibDecoded; value: LibDecoded }[][],
  exceptionSchedule: (v: Buffer) =>
    inTag3(asn1.decodeExceptionSchedule as Decoder, v) as {
      date: LibDecoded;
      events: { time: LibDecoded; value: LibDecoded }[];
      priority: LibDecoded;
    }[],
  effectivePeriod: (v: Buffer) => inTag3(asn1.decodeScheduleEffectivePeriod as Decoder, v) as LibDecoded[],
  dateList: (v: Buffer) => inTag3(asn1.decodeCalendarDatelist as Decoder, v) as LibDecoded[],
};

/** The library's WriteProperty class (a CommonJS `exports.default`, STACK.md). */
const WriteProperty = ((writePropertyModule as unknown as { default: { default?: unknown } }).default
  .default ?? (writePropertyModule as unknown as { default: unknown }).default) as {
  encode(
    buffer: { buffer: Buffer; offset: number },
    objectType: number,
    instance: number,
    propertyId: number,
    arrayIndex: number,
    priority: number,
    values: unknown,
  ): void;
};

/** The value octets the library's WriteProperty encoder puts inside tag [3] for `values`. */
export function libEncode(objectType: number, propertyId: number, values: unknown): Buffer {
  const b = { buffer: Buffer.alloc(1482), offset: 0 };
  WriteProperty.encode(b, objectType, 1, propertyId, ASN1_ARRAY_ALL, ASN1_NO_PRIORITY, values);
  return parsePropertyData(b.buffer.subarray(0, b.offset), true).value!;
}
