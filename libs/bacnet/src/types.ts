/** The facade's public data shapes: plain data, no library types. */
import type { BacnetObjectType } from '#libs/profiles';
import type { BacnetValue } from './values.js';

export type { BacnetValue } from './values.js';

export interface ObjectRef {
  type: BacnetObjectType;
  instance: number;
}
/** The device object itself (ASHRAE 135 §12.11), for object-list, vendor-identifier, ... */
export interface DeviceObjectRef {
  type: 'device';
  instance: number;
}
export type AnyObjectRef = ObjectRef | DeviceObjectRef;

export interface DiscoveredDevice {
  /** 'host:port' the I-Am came from (the originator's own address when forwarded by a BBMD). */
  address: string;
  deviceInstance: number;
  maxApdu: number;
  /** In the profile's vocabulary: 'both' | 'transmit' | 'receive' | 'none'. */
  segmentation: string;
  vendorId: number;
}

/**
 * A property to read: its kebab-case name (the whole value), or one element of
 * an array property (index ≥ 1; the library cannot send index 0 in a
 * ReadPropertyMultiple, so read an array's length with ReadProperty).
 */
export type PropertySpec = string | { property: string; index: number };

export interface RpmResult {
  object: AnyObjectRef;
  /** Kebab-case property name, as requested. */
  property: string;
  /** The array index, when one element was asked for. */
  index?: number;
  value?: BacnetValue;
  /** The device's per-property error, e.g. { errorClass: 'property', errorCode: 'unknown-property' }. */
  error?: { errorClass: string; errorCode: string };
}

export interface CovNotification {
  /** 'host:port' of the notifying device. */
  address: string;
  deviceInstance: number;
  object: ObjectRef;
  /** Keyed by kebab-case property name: 'present-value', 'status-flags'. */
  values: Record<string, BacnetValue>;
  processId: number;
  /** Seconds left on the subscription; 0 for an indefinite one. */
  timeRemaining: number;
  confirmed: boolean;
}
