/**
 * libs/bacnet: a typed facade over @bacnet-js/client — only the calls we use,
 * behind our own types (CONVENTIONS.md habit 5). Two halves: BacnetClient for
 * the controller, BacnetDevice for the simulator. Addresses are 'host:port';
 * object types and properties are kebab-case names; errors are BacnetErrors
 * with kebab-case class and code.
 */
export { BacnetClient } from './client.js';
export type { BacnetClientOptions, BacnetClientStats } from './client.js';
export type { Binding } from './bindings.js';
export type { ForeignDeviceStatus } from './foreign-device.js';
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
  PropertySpec,
  RpmResult,
} from './types.js';
export { parseObjectId } from './values.js';
export { ReadCapabilities, MAX_APDU_BIP, MAX_APDU_VALUES, legalMaxApdu } from './read-capabilities.js';
export type { LearnedEvent, Segmentation } from './read-capabilities.js';
export { bacnetErrorOf, expectedAnswerSize, packBatches, readBatched } from './batch-reader.js';
export type { BatchReadOptions, ItemOutcome, ReadItem, ReadPort, Send } from './batch-reader.js';
export { describeDevice, findDevices } from './discovery.js';
export type { DescribedObject, DeviceDescription, ScanOptions, ScanProgress } from './discovery.js';
export {
  DEFAULT_MIN_ON_OFF_S,
  draftProfile,
  draftSiteDevice,
  modelKey,
  profilePath,
  slug,
} from './draft-profile.js';
export { discover } from './discover-network.js';
export type { DiscoverOptions, DiscoverResult, DraftedProfile } from './discover-network.js';
export {
  PartialWriteError,
  readCalendar,
  readSchedule,
  writeCalendar,
  writeSchedule,
} from './schedule-client.js';
export type { RestoreOutcome } from './schedule-client.js';
export type { ScheduleObjectDef } from './device-schedules.js';
