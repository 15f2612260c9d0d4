/**
 * libs/bacnet: a typed facade over @bacnet-js/client — only the calls we use,
 * behind our own types (CONVENTIONS.md habit 5). Two halves: BacnetClient for
 * the controller, BacnetDevice for the simulator. Addresses are 'host:port';
 * object types and properties are kebab-case names; errors are BacnetErrors
 * with kebab-case class and code.
 */
export { BacnetClient } from './client.js';
export type { BacnetClientOptions } from './client.js';
export { BacnetDevice } from './device.js';
export type { BacnetDeviceOptions, CovStats, DeviceFault, DeviceObjectDef, ObjectState } from './device.js';
export { BacnetError, isUnsupportedService } from './errors.js';
export type { BacnetErrorKind } from './errors.js';
export { POINT_OBJECT_TYPES, engineeringUnitsOf, isPointObjectType, profileUnitOf } from './names.js';
export type {
  AnyObjectRef,
  BacnetValue,
  CovNotification,
  DeviceObjectRef,
  DiscoveredDevice,
  ObjectRef,
  RpmResult,
} from './types.js';
export { parseObjectId } from './values.js';
