/**
 * A simulated device: the hardware as the controller will meet it. Each
 * protocol adapter (Modbus TCP server, BACnet/IP device) keeps the device's
 * true values; the physics model reads outputs and writes sensors through this
 * port, and the control API reads the true state and sets faults through it.
 */
import type { PointDef, Profile, SiteDevice } from '#libs/profiles';
import type { SimDeviceState, SimFaults } from '#libs/contracts';

export interface SimDevice {
  readonly id: string;
  readonly site: SiteDevice;
  readonly profile: Profile;
  /** Where the device listens, once started (host:port). */
  readonly address: string;
  start(): Promise<void>;
  close(): Promise<void>;
  /** The value the hardware is acting on now (for outputs: what was last written, or the winner of its priority array). */
  read(pointId: string): number | undefined;
  /** Physics updates a sensor; stuck and out-of-range faults take precedence. */
  setSensor(pointId: string, value: number): void;
  faults(): SimFaults;
  setFaults(faults: SimFaults): void;
  state(): SimDeviceState;
}

/** Plausible first values so a device answers sensibly before the physics has run. */
export function initialValue(point: PointDef): number {
  if (point.failSafe !== undefined) return point.failSafe;
  if (point.kind === 'binary') return 0;
  if (point.kind === 'multistate') return Number(Object.keys(point.states ?? { 1: '' })[0]);
  const byUnit: Record<string, number> = {
    degC: 21,
    '%': 0,
    Pa: 250,
    W: 1000,
    kW: 1,
    kWh: 12345,
    V: 230,
    A: 5,
    Hz: 50,
    rpm: 0,
    ppm: 450,
    '%RH': 45,
    'L/s': 0,
    'm3/h': 0,
    lx: 300,
  };
  return byUnit[point.unit] ?? 0;
}

/** What a failed sensor reports: far outside anything plausible (an open-circuit thermistor reads like this). */
export function outOfRangeValue(point: PointDef): number {
  switch (point.dataType) {
    case 'int16':
      return 32767 * (point.scale ?? 1) + (point.offset ?? 0);
    case 'uint16':
      return 65535 * (point.scale ?? 1) + (point.offset ?? 0);
    case 'bool':
    case 'boolean':
    case 'enumerated':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
    case 'int64':
    case 'uint64':
    case 'float64':
    case 'real':
    case 'unsigned':
    case 'signed':
      return 999999;
  }
}

export class FaultError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'FaultError';
  }
}

/** Shared fault bookkeeping and validation for both protocols. */
export class FaultState {
  private current: SimFaults = {};

  constructor(
    private readonly deviceId: string,
    private readonly points: readonly PointDef[],
    private readonly protocol: 'modbus' | 'bacnet',
  ) {}

  get(): SimFaults {
    return this.current;
  }

  /** Validates the whole set first so a bad request changes nothing. */
  set(next: SimFaults): void {
    const ids = new Map(this.points.map((p) => [p.id, p]));
    const sensorOnly = (field: string, id: string): void => {
      const p = ids.get(id);
      if (!p) throw new FaultError(field, `device "${this.deviceId}" has no point "${id}"`);
      if (p.access === 'write')
        throw new FaultError(
          field,
          `point "${id}" is an output; stuck and out-of-range faults apply to sensors`,
        );
    };
    for (const id of Object.keys(next.stuck ?? {})) sensorOnly('stuck', id);
    for (const id of next.outOfRange ?? []) sensorOnly('outOfRange', id);
    if (
      next.delayMs !== undefined &&
      (!Number.isFinite(next.delayMs) || next.delayMs < 0 || next.delayMs > 60000)
    )
      throw new FaultError('delayMs', 'delayMs must be between 0 and 60000');
    if (next.garbage && this.protocol !== 'modbus')
      throw new FaultError('garbage', 'garbage applies to Modbus devices only');
    if (next.exceptionCode !== undefined) {
      if (this.protocol !== 'modbus')
        throw new FaultError('exceptionCode', 'exceptionCode applies to Modbus devices only');
      if (!Number.isInteger(next.exceptionCode) || next.exceptionCode < 1 || next.exceptionCode > 255)
        throw new FaultError('exceptionCode', 'exceptionCode must be an integer from 1 to 255');
    }
    this.current = { ...next };
  }

  /** The value a sensor reports given the physics' value and the faults in force. */
  sensorValue(point: PointDef, physical: number): number {
    const stuck = this.current.stuck?.[point.id];
    if (stuck !== undefined) return stuck;
    if (this.current.outOfRange?.includes(point.id)) return outOfRangeValue(point);
    return physical;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** 'host:port' → [host, port]; the last colon separates them. */
export function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}
