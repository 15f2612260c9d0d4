/**
 * Application-tagged values (ASHRAE 135 §20.2) ↔ the facade's plain values.
 * REAL, DOUBLE, UNSIGNED, SIGNED and ENUMERATED → number; BOOLEAN → boolean;
 * NULL → null; CHARACTER_STRING → string; BIT_STRING → boolean[] (bit 0
 * first); OBJECT_IDENTIFIER → 'type:instance' ('analog-input:3'); DATE, TIME
 * → ISO 8601 string; arrays and lists → arrays.
 */
import type { BacnetDataType, BacnetObjectType } from '#libs/profiles';
import { BacnetError } from './errors.js';
import { isPointObjectType, objectTypeName } from './names.js';
import type { AnyObjectRef } from './types.js';
import { ApplicationTag, PropertyIdentifier } from './vendor.js';
import type { LibAppData } from './vendor.js';

export type BacnetValue = number | boolean | string | null | BacnetValue[];

/** Properties that are BACnetARRAYs or BACnetLISTs (ASHRAE 135 §12): read whole, they are arrays even with one element. */
const LIST_PROPERTIES = new Set<number>([
  PropertyIdentifier.OBJECT_LIST,
  PropertyIdentifier.STRUCTURED_OBJECT_LIST,
  PropertyIdentifier.PRIORITY_ARRAY,
  PropertyIdentifier.STATE_TEXT,
  PropertyIdentifier.PROPERTY_LIST,
  PropertyIdentifier.DEVICE_ADDRESS_BINDING,
  PropertyIdentifier.ACTIVE_COV_SUBSCRIPTIONS,
  PropertyIdentifier.EVENT_TIME_STAMPS,
  PropertyIdentifier.ALARM_VALUES,
  PropertyIdentifier.FAULT_VALUES,
  PropertyIdentifier.DATE_LIST,
  PropertyIdentifier.TIME_SYNCHRONIZATION_RECIPIENTS,
  PropertyIdentifier.RECIPIENT_LIST,
  PropertyIdentifier.SUBORDINATE_LIST,
]);

export interface BitString {
  bitsUsed: number;
  value: number[];
}

function isBitString(v: unknown): v is BitString {
  return typeof v === 'object' && v !== null && 'bitsUsed' in v && Array.isArray((v as BitString).value);
}

function isObjectId(v: unknown): v is { type: number; instance: number } {
  return typeof v === 'object' && v !== null && 'type' in v && 'instance' in v;
}

/** One application value → plain value. */
export function fromAppData(d: LibAppData): BacnetValue {
  switch (d.type) {
    case ApplicationTag.NULL:
      return null;
    case ApplicationTag.BOOLEAN:
      return Boolean(d.value);
    case ApplicationTag.UNSIGNED_INTEGER:
    case ApplicationTag.SIGNED_INTEGER:
    case ApplicationTag.REAL:
    case ApplicationTag.DOUBLE:
    case ApplicationTag.ENUMERATED:
      if (typeof d.value === 'number') return d.value;
      break;
    case ApplicationTag.CHARACTER_STRING:
      if (typeof d.value === 'string') return d.value;
      break;
    case ApplicationTag.BIT_STRING:
      if (isBitString(d.value)) return bitsToBooleans(d.value);
      break;
    case ApplicationTag.OBJECTIDENTIFIER:
      if (isObjectId(d.value)) return `${objectTypeName(d.value.type)}:${d.value.instance}`;
      break;
    case ApplicationTag.DATE:
    case ApplicationTag.TIME:
    case ApplicationTag.DATETIME:
      if (d.value instanceof Date) return d.value.toISOString();
      break;
    default:
      break;
  }
  throw new BacnetError('decode', `unsupported BACnet application value (tag ${d.type})`);
}

/**
 * A property's values as read → one plain value. Whole arrays and lists stay
 * arrays; an element read (arrayIndex given) or a scalar property is unwrapped.
 */
export function fromAppDataList(values: LibAppData[], propertyId: number, arrayIndex?: number): BacnetValue {
  const plain = values.map(fromAppData);
  if (arrayIndex === undefined && (LIST_PROPERTIES.has(propertyId) || plain.length !== 1)) return plain;
  return plain[0] ?? null;
}

export function bitsToBooleans(b: BitString): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < b.bitsUsed; i++) out.push(((b.value[i >> 3] ?? 0) >> (i & 7)) % 2 === 1);
  return out;
}

/** The library's bit-string shape: bit i in octet i/8 at position i%8 (it reverses the order on the wire). */
export function bitString(bitsUsed: number, trueBits: number[]): BitString {
  const value = new Array<number>(Math.ceil(bitsUsed / 8)).fill(0);
  for (const bit of trueBits) if (bit < bitsUsed) value[bit >> 3] |= 1 << (bit & 7);
  return { bitsUsed, value };
}

/** The datatype a present-value write carries by default (ASHRAE 135 §12.2–12.20, Present_Value of each object type). */
export function defaultDataType(type: BacnetObjectType): BacnetDataType {
  if (type.startsWith('analog')) return 'real';
  if (type.startsWith('binary')) return 'enumerated';
  return 'unsigned';
}

const TAG_OF: Record<BacnetDataType, number> = {
  real: ApplicationTag.REAL,
  enumerated: ApplicationTag.ENUMERATED,
  unsigned: ApplicationTag.UNSIGNED_INTEGER,
  signed: ApplicationTag.SIGNED_INTEGER,
  boolean: ApplicationTag.BOOLEAN,
};

/** A value to write → one application value. NULL relinquishes a priority slot (§19.2.1). */
export function toWriteAppData(value: number | boolean | null, dataType: BacnetDataType): LibAppData {
  if (value === null) return { type: ApplicationTag.NULL, value: null };
  if (dataType === 'boolean') return { type: ApplicationTag.BOOLEAN, value: Boolean(value) };
  const n = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  if (!Number.isFinite(n)) throw new RangeError(`cannot write ${String(value)} as BACnet ${dataType}`);
  if (dataType !== 'real' && !Number.isInteger(n)) {
    throw new RangeError(`cannot write ${n} as BACnet ${dataType}: not an integer`);
  }
  if ((dataType === 'unsigned' || dataType === 'enumerated') && n < 0) {
    throw new RangeError(`cannot write ${n} as BACnet ${dataType}: negative`);
  }
  return { type: TAG_OF[dataType], value: n };
}

/** A number carried by any numeric application tag, for servers that accept what a client sends. */
export function numericOf(d: LibAppData | undefined): number | undefined {
  if (!d) return undefined;
  if (d.type === ApplicationTag.BOOLEAN) return d.value ? 1 : 0;
  const numeric: number[] = [
    ApplicationTag.REAL,
    ApplicationTag.DOUBLE,
    ApplicationTag.UNSIGNED_INTEGER,
    ApplicationTag.SIGNED_INTEGER,
    ApplicationTag.ENUMERATED,
  ];
  return numeric.includes(d.type) && typeof d.value === 'number' ? d.value : undefined;
}

/** 'analog-input:3' (as object-list reads) → an object reference; undefined for types this facade does not model. */
export function parseObjectId(s: string): AnyObjectRef | undefined {
  const m = /^([a-z-]+):(\d+)$/.exec(s);
  if (!m) return undefined;
  const instance = Number(m[2]);
  if (m[1] === 'device') return { type: 'device', instance };
  return isPointObjectType(m[1]) ? { type: m[1], instance } : undefined;
}
