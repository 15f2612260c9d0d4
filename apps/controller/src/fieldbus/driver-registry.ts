/**
 * Where the controller finds its drivers: one per protocol, registered under
 * FIELDBUS_DRIVERS (fieldbus.module.ts), chosen by the profile's protocol.
 * The port itself lives in libs/fieldbus (driver-port.ts).
 */
import type { FieldbusDriver } from '#libs/fieldbus';
import type { Protocol } from '#libs/profiles';

export const FIELDBUS_DRIVERS = Symbol('FIELDBUS_DRIVERS');
export type DriverRegistry = ReadonlyMap<Protocol, FieldbusDriver>;

/** The buses of the controller (libs/fieldbus BusRegistry), shared by every driver. */
export const FIELDBUS_BUSES = Symbol('FIELDBUS_BUSES');
