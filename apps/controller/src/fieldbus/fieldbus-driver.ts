/**
 * The driver port: the one seam between the controller and the buses.
 *
 * A driver talks to devices of one protocol and nothing else: it does not
 * schedule, retry on its own timer, keep point values or log state changes.
 * The framework (scanner.service.ts) owns the rhythm and calls `readMany`
 * once per device per poll; the driver turns the profile's point list into
 * the fewest requests it can and decodes the answers into engineering values.
 *
 * Errors: if the device as a whole did not answer (timeout, connection
 * refused, garbage), `readMany` rejects and every point of the device becomes
 * comm-fail. If the device answered but refused some points (a Modbus
 * exception on one block, a BACnet unknown-object), those outcomes carry an
 * `error` and the others a `value`.
 *
 * Adding a protocol: implement this interface in one file, register it under
 * FIELDBUS_DRIVERS in fieldbus.module.ts, and name the protocol in the
 * profile. The core never imports an adapter.
 */
import type { PointDef, Profile, Protocol, SiteDevice } from '#libs/profiles';

export interface DeviceContext {
  site: SiteDevice;
  profile: Profile;
}

export interface PointReadOutcome {
  pointId: string;
  value?: number;
  error?: string;
}

export interface FieldbusDriver {
  readonly protocol: Protocol;
  /** Opens what the device needs (a socket); idempotent. Rejects when the device is unreachable. */
  connect(device: DeviceContext): Promise<void>;
  /** Reads the given points of one device. */
  readMany(device: DeviceContext, points: readonly PointDef[]): Promise<PointReadOutcome[]>;
  /** Releases every resource; called once at shutdown. */
  close(): Promise<void>;
}

export const FIELDBUS_DRIVERS = Symbol('FIELDBUS_DRIVERS');
export type DriverRegistry = ReadonlyMap<Protocol, FieldbusDriver>;
