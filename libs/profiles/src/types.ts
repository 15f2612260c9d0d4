/**
 * The shape of hardware profiles and site files, as TypeScript sees them after
 * validation. The JSON Schemas in ./schema are the source of truth for editors
 * and for the loader; these types must describe exactly what those schemas
 * accept. Profile = the model (points, encodings, safe ranges); site = the
 * instance (addresses, unit ids, intervals). CONVENTIONS.md habit 3.
 */

import type { Interlock } from '#libs/rules';
import type { Calendar, Schedule } from '#libs/schedules';

export type Protocol = 'modbus' | 'bacnet';
export type PointKind = 'analog' | 'binary' | 'multistate';
export type Access = 'read' | 'write';

/** Modbus data types (MODBUS Application Protocol 1.1b3 §4.2: registers are 16-bit big-endian). */
export type ModbusDataType =
  'bool' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'int64' | 'uint64' | 'float64';
/** BACnet application data types we read and write (ASHRAE 135 §20.2). */
export type BacnetDataType = 'real' | 'enumerated' | 'unsigned' | 'boolean' | 'signed';
export type DataType = ModbusDataType | BacnetDataType;

/** 1 coils, 2 discrete inputs, 3 holding registers, 4 input registers (read tables). */
export type ModbusTable = 1 | 2 | 3 | 4;
export type ByteOrder = 'big' | 'little';

export interface ModbusPointAddress {
  /** The read function code, which names the table the point lives in. */
  function: ModbusTable;
  /** Address as the vendor's map writes it; see ModbusDeviceQuirks.addressing. */
  address: number;
  /** Byte order inside each 16-bit register. Default: the device's, else big. */
  byteOrder?: ByteOrder;
  /** Order of 16-bit words in 32/64-bit values. Default: the device's, else big. */
  wordOrder?: ByteOrder;
  /** For a bool packed in a holding/input register: the bit, 0 = least significant. */
  bit?: number;
  /**
   * Write function for writable points: 5 or 15 for coils, 6 or 16 for registers. A bool packed in a
   * holding register (`bit`) is written read-modify-write with 6 or 16, or with 22 (mask write, 1.1b3
   * §6.16) where the device supports it, which changes the one bit without a read.
   */
  writeFunction?: 5 | 6 | 15 | 16 | 22;
}

export type BacnetObjectType =
  | 'analog-input'
  | 'analog-output'
  | 'analog-value'
  | 'binary-input'
  | 'binary-output'
  | 'binary-value'
  | 'multi-state-input'
  | 'multi-state-output'
  | 'multi-state-value';

export interface BacnetPointAddress {
  objectType: BacnetObjectType;
  instance: number;
  /** Kebab-case BACnet property identifier; default present-value. */
  property?: 'present-value';
  /** Whether the object has a priority array (commandable, ASHRAE 135 §19.2). */
  commandable?: boolean;
}

export interface SafeRange {
  min: number;
  max: number;
}

export interface PointDef {
  id: string;
  name: string;
  description: string;
  kind: PointKind;
  access: Access;
  dataType: DataType;
  modbus?: ModbusPointAddress;
  bacnet?: BacnetPointAddress;
  /** engineering = raw * scale + offset. Defaults 1 and 0. */
  scale?: number;
  offset?: number;
  /** Engineering unit, e.g. degC, %, Pa, W, kW, kWh, V, A, Hz, rpm, m3/h, L/s, ppm, %RH, h, or "" for none. */
  unit: string;
  /** multistate only: value -> text (BACnet multistate values start at 1). */
  states?: Record<string, string>;
  /** writable points: the range a command must fall in (engineering units). */
  safeRange?: SafeRange;
  /** writable points: the value the output takes when nothing commands it (relinquish default). */
  failSafe?: number;
  /** writable binary points: no short-cycling. */
  minOnSeconds?: number;
  minOffSeconds?: number;
  /** writable analog points: optional maximum change per minute. */
  maxRatePerMinute?: number;
  /** Project Haystack marker tags (zone, air, temp, sensor, sp, cmd, ...). */
  tags: string[];
}

export interface ModbusDeviceQuirks {
  /** zero-based: addresses are PDU addresses; one-based: the map numbers registers from 1. */
  addressing: 'zero-based' | 'one-based';
  maxRegistersPerRequest?: number; // default 125 (MODBUS 1.1b3 §6.3)
  maxBitsPerRequest?: number; // default 2000
  /** Unrequested registers worth reading through to save a request. Default 8. */
  maxGap?: number;
  byteOrder?: ByteOrder;
  wordOrder?: ByteOrder;
  timeoutMs?: number;
  interRequestDelayMs?: number;
  /** Extra attempts after a timeout, a garbled reply or a busy exception, within one scheduled request. Default 0. */
  retries?: number;
}

export interface BacnetDeviceQuirks {
  readPropertyMultiple: boolean;
  cov: boolean;
  maxApdu?: number; // 50, 128, 206, 480, 1024, 1476
  segmentation?: 'both' | 'transmit' | 'receive' | 'none';
  vendorId?: number;
}

export interface Profile {
  schemaVersion: 1;
  vendor: string;
  model: string;
  protocol: Protocol;
  description: string;
  /** Where the register map or object list came from (document, version). */
  source: string;
  modbus?: ModbusDeviceQuirks;
  bacnet?: BacnetDeviceQuirks;
  points: PointDef[];
}

export interface ModbusTcpEndpoint {
  transport: 'tcp';
  host: string;
  port: number;
  unitId: number;
  /** Requests in flight at once to this host:port (its connections); default 1. Devices behind one gateway share it. */
  maxInFlight?: number;
}
export interface ModbusRtuEndpoint {
  transport: 'rtu';
  path: string;
  baudRate: number;
  parity?: 'none' | 'even' | 'odd';
  unitId: number;
}
export interface BacnetEndpoint {
  /** host:port of the device, e.g. 127.0.0.1:47810 */
  address: string;
  deviceInstance: number;
  /** Confirmed requests in flight at once to this device; default 1. */
  maxInFlight?: number;
}

export interface SiteDevice {
  id: string;
  name: string;
  /** Path of the profile relative to hardware-profiles/, e.g. modbus/eastron/sdm630.yaml */
  profile: string;
  pollIntervalMs: number;
  /** Per-point poll intervals (point id -> ms) overriding pollIntervalMs, e.g. a slow energy counter. */
  pointPollIntervalMs?: Record<string, number>;
  modbus?: ModbusTcpEndpoint | ModbusRtuEndpoint;
  bacnet?: BacnetEndpoint;
}

/** Local schedules command slot 16; fallback schedules slot 12, only while the controller is AUTONOMOUS. */
export type SiteScheduleKind = 'local' | 'fallback';

/** A schedule of the site file: libs/schedules' Schedule, its kind and the writable points it commands. */
export interface SiteSchedule extends Schedule {
  kind: SiteScheduleKind;
  /** `deviceId.pointId` keys of writable points of this site. */
  targets: string[];
}

/**
 * A limit alarm on an analog point: raised when the value stays above `high`
 * (below `low`) for `delaySeconds`, cleared once it is back inside by `deadband`.
 */
export interface AlarmLimit {
  /** `deviceId.pointId` of an analog point of this site. */
  point: string;
  low?: number;
  high?: number;
  /** In the point's unit; default 0. */
  deadband?: number;
  /** On-delay; default 0. */
  delaySeconds?: number;
}

export interface SiteFile {
  schemaVersion: 1;
  name: string;
  /** IANA time zone, e.g. Europe/Berlin */
  timeZone: string;
  devices: SiteDevice[];
  /** Named lists of days (libs/schedules Calendar) that schedule exceptions refer to. */
  calendars?: Calendar[];
  schedules?: SiteSchedule[];
  /** Safety interlocks (libs/rules; schema: libs/rules/schema/rules.schema.json). */
  interlocks?: Interlock[];
  /** Limits on analog points, each raising an alarm (the controller's alarms/). */
  alarmLimits?: AlarmLimit[];
}

/** A site with each device's profile loaded, as the apps consume it. */
export interface LoadedSite extends SiteFile {
  file: string;
  profiles: Record<string, Profile>; // keyed by SiteDevice.profile
}
