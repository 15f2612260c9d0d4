/**
 * The client's conversions between the library's shapes (vendor.ts) and the
 * facade's plain data (types.ts): object identifiers, senders, I-Am and COV
 * payloads (typed `any` by the library, STACK.md trap 5), and the results of
 * a ReadPropertyMultiple matched back to what was asked.
 */
import { BacnetError } from './errors.js';
import {
  errorClassName,
  errorCodeName,
  isPointObjectType,
  objectTypeName,
  objectTypeNumber,
  propertyName,
  propertyNumber,
  segmentationName,
} from './names.js';
import { comparablePeer } from './transactions.js';
import type { AnyObjectRef, CovNotification, DiscoveredDevice, PropertySpec, RpmResult } from './types.js';
import { fromAppDataList } from './values.js';
import type { BacnetValue } from './values.js';
import { ASN1_ARRAY_ALL, ApplicationTag } from './vendor.js';
import type {
  CovNotifyPayload,
  IAmPayload,
  LibAccessError,
  LibObjectId,
  LibRpmResult,
  LibServiceContent,
} from './vendor.js';

export function toLibObjectId(obj: AnyObjectRef): LibObjectId {
  return { type: objectTypeNumber(obj.type), instance: obj.instance };
}

function fromLibObjectId(id: LibObjectId): AnyObjectRef {
  const name = objectTypeName(id.type);
  if (name === 'device') return { type: 'device', instance: id.instance };
  if (isPointObjectType(name)) return { type: name, instance: id.instance };
  throw new BacnetError('decode', `answer names an object type this facade does not model: ${name}`);
}

export function describe(obj: AnyObjectRef): string {
  return `${obj.type}:${obj.instance}`;
}

/**
 * STACK.md trap 6: a device seen through a BBMD is addressed by its own
 * address (the Forwarded-NPDU's originator), always as 'host:port' (the
 * library leaves the port off for 47808).
 */
export function senderOf(c: LibServiceContent): string {
  const s = c.header?.sender;
  const raw = s?.forwardedFrom ?? s?.address ?? '';
  return raw ? (comparablePeer(raw) ?? raw) : '';
}

export function iAmOf(c: LibServiceContent): DiscoveredDevice | undefined {
  const p = c.payload as IAmPayload;
  const address = senderOf(c);
  if (!address) return undefined;
  return {
    address,
    deviceInstance: p.deviceId,
    maxApdu: p.maxApdu,
    segmentation: segmentationName(p.segmentation),
    vendorId: p.vendorId,
  };
}

/** A COV notification of a point object; undefined for objects a profile point cannot be. */
export function covNotificationOf(c: LibServiceContent, confirmed: boolean): CovNotification | undefined {
  const p = c.payload as CovNotifyPayload;
  const type = objectTypeName(p.monitoredObjectId.type);
  if (!isPointObjectType(type)) return undefined;
  const values: Record<string, BacnetValue> = {};
  for (const v of p.values) {
    try {
      values[propertyName(v.property.id)] = fromAppDataList(v.value, v.property.id);
    } catch {
      // a value we cannot represent is left out; the others still arrive
    }
  }
  return {
    address: senderOf(c),
    deviceInstance:
      typeof p.initiatingDeviceId === 'number' ? p.initiatingDeviceId : p.initiatingDeviceId.instance,
    object: { type, instance: p.monitoredObjectId.instance },
    values,
    processId: p.subscriberProcessId,
    timeRemaining: p.timeRemaining,
    confirmed,
  };
}

export interface AskedSpec {
  object: AnyObjectRef;
  objectId: LibObjectId;
  properties: { name: string; id: number; index: number }[];
}

/**
 * What a ReadPropertyMultiple asks, numbered: a property is a name (the whole
 * value) or { property, index } (one array element, index ≥ 1).
 */
export function askedOf(specs: { object: AnyObjectRef; properties: PropertySpec[] }[]): AskedSpec[] {
  return specs.map((s) => ({
    object: s.object,
    objectId: toLibObjectId(s.object),
    properties: s.properties.map((p) => {
      const name = typeof p === 'string' ? p : p.property;
      const index = typeof p === 'string' ? ASN1_ARRAY_ALL : p.index;
      // The library leaves index 0 out of the request (it reads as "the whole array"): refuse it here.
      if (index !== ASN1_ARRAY_ALL && !(Number.isInteger(index) && index >= 1)) {
        throw new RangeError(`read-property-multiple of ${name}[${index}]: array index must be ≥ 1`);
      }
      return { name, id: propertyNumber(name), index };
    }),
  }));
}

/** One result per property answered, named as it was asked, each a value or the device's error. */
export function rpmResultsOf(asked: AskedSpec[], r: LibRpmResult): RpmResult[] {
  const out: RpmResult[] = [];
  const isAccess = (s: AskedSpec | undefined, id: LibObjectId): s is AskedSpec =>
    s !== undefined && s.objectId.type === id.type && s.objectId.instance === id.instance;
  // A device answers in the order asked (§15.7.1.3.1), so the next spec is tried first; a search covers any other order.
  let next = 0;
  for (const access of r.values) {
    let spec: AskedSpec | undefined = asked[next];
    if (isAccess(spec, access.objectId)) next++;
    else {
      const at = asked.findIndex((s) => isAccess(s, access.objectId));
      spec = at < 0 ? undefined : asked[at];
      if (at >= 0) next = at + 1;
    }
    const object: AnyObjectRef = spec ? spec.object : fromLibObjectId(access.objectId);
    for (const p of access.values) {
      const index = p.index === ASN1_ARRAY_ALL ? undefined : p.index;
      const match =
        spec?.properties.find((q) => q.id === p.id && q.index === p.index) ??
        spec?.properties.find((q) => q.id === p.id);
      const property = match?.name ?? propertyName(p.id);
      const result: RpmResult = index === undefined ? { object, property } : { object, property, index };
      const first = p.value[0];
      if (first?.type === ApplicationTag.ERROR) {
        const e = first.value as LibAccessError;
        result.error = { errorClass: errorClassName(e.errorClass), errorCode: errorCodeName(e.errorCode) };
      } else
        try {
          result.value = fromAppDataList(p.value, p.id, index);
        } catch {
          result.error = { errorClass: 'property', errorCode: 'datatype-not-supported' };
        }
      out.push(result);
    }
  }
  return out;
}
