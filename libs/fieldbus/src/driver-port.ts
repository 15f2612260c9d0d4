/**
 * The driver port: the one seam between the controller and the buses
 * (CONVENTIONS.md habit 1; VOLTTRON's driver interface, nestjs/microservices'
 * one-transport-per-protocol).
 *
 * A driver talks to devices of one protocol and nothing else. The framework
 * owns the rhythm: it decides what to poll when, and every request a driver
 * sends goes through the bus's scheduler (`BusScheduler.submit`) so writes
 * jump ahead of queued polls and a dead device trips its own breaker. The
 * driver turns a point list into the fewest requests the device allows and
 * decodes answers into engineering values.
 *
 * Errors: if the device as a whole did not answer (timeout, connection
 * refused, garbage, breaker open), `readMany` rejects with a FieldbusError
 * and every point of the device becomes comm-fail. If the device answered but
 * refused some points (a Modbus exception on one block, a BACnet
 * unknown-object), those outcomes carry an `error` and the others a `value`.
 *
 * Adding a protocol: implement this interface in one file, register it in the
 * controller's fieldbus module under FIELDBUS_DRIVERS, and name the protocol
 * in the profile. The core never imports an adapter.
 */
import type { PointDef, Profile, Protocol, SiteDevice } from '#libs/profiles';

export interface DeviceContext {
  site: SiteDevice;
  profile: Profile;
}

/** A named failure: `code` is stable and machine-readable, `message` is for people. */
export interface FieldbusErrorInfo {
  /**
   * timeout | connection | bad-response | breaker-open | not-writable | out-of-range | verify-mismatch |
   * modbus-exception:<name> (e.g. modbus-exception:illegal-data-address) |
   * bacnet-error:<class>/<code> | bacnet-reject:<reason> | bacnet-abort:<reason> |
   * not-supported (the protocol has no such operation, e.g. relinquish on Modbus) |
   * unknown-point | internal (a bug, or an error that carries no code)
   */
  code: string;
  message: string;
}

export interface PointReadOutcome {
  pointId: string;
  value?: number;
  error?: FieldbusErrorInfo;
}

/** BACnet's 16 slots (index 0 = priority 1) and what wins; Modbus points have none. */
export interface PriorityArraySnapshot {
  slots: (number | null)[];
  relinquishDefault: number | null;
  /** The winning slot (BACnet current-command-priority, 135-2016), null when relinquished. */
  currentCommandPriority: number | null;
}

/** Which queue of the bus's scheduler a request joins: writes, and the read-back that verifies them, jump ahead of polls. */
export type RequestKind = 'write' | 'poll';

export interface ReadOptions {
  /** Default 'poll'. The write path reads back with 'write'. */
  kind?: RequestKind;
}

export interface WriteRequest {
  point: PointDef;
  /** Engineering units. */
  value: number;
  /** 1..16; used on BACnet commandable objects, ignored on Modbus. */
  priority?: number;
}

/** Pushed values (BACnet COV): the driver calls `value` on each notification, `lost` when a subscription could not be kept. */
export interface ValueSink {
  value(pointId: string, value: number, at: number): void;
  lost(pointIds: string[], reason: FieldbusErrorInfo): void;
}

export interface SelfTestReport {
  deviceId: string;
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

export interface FieldbusDriver {
  readonly protocol: Protocol;
  /** Opens what the device needs (a socket, a serial port); idempotent. Rejects when unreachable. */
  connect(device: DeviceContext): Promise<void>;
  /** Reads the given points of one device. */
  readMany(
    device: DeviceContext,
    points: readonly PointDef[],
    options?: ReadOptions,
  ): Promise<PointReadOutcome[]>;
  /** Sends one value; verification (read-back) and retries belong to the framework (write-path). */
  write(device: DeviceContext, req: WriteRequest): Promise<void>;
  /** Empties the slot (BACnet: writes NULL at the priority). Modbus: not supported, the framework writes the next winner. */
  relinquish(device: DeviceContext, point: PointDef, priority: number): Promise<void>;
  /** The device's own priority array for a commandable point; null where the point has none. */
  readPriorityArray(device: DeviceContext, point: PointDef): Promise<PriorityArraySnapshot | null>;
  /**
   * Asks the device to push changes (BACnet COV) for these points; resolves with the ids it will push.
   * The rest must be polled. Drivers without push resolve with an empty set.
   */
  subscribe(device: DeviceContext, points: readonly PointDef[], sink: ValueSink): Promise<Set<string>>;
  /** Answers "can we talk to this device as its profile says?": reachability, a read of each table/object type, quirks. */
  selfTest(device: DeviceContext): Promise<SelfTestReport>;
  /** Releases every resource; called once at shutdown. */
  close(): Promise<void>;
}
