/**
 * A fake Modbus connection with named failure modes (CONVENTIONS.md habit 9)
 * and a small profile/site to drive the Modbus driver without sockets.
 */
import { ModbusError } from '#libs/modbus';
import type { CallDone, RequestOptions } from '#libs/modbus';
import type { PointDef, Profile, SiteDevice } from '#libs/profiles';
import type { DeviceContext } from '#libs/fieldbus';
import type { ModbusLink } from '../modbus-line.js';

export type FakeOp = {
  op: string;
  unit: number;
  table?: number;
  address: number;
  count: number;
  values?: unknown;
};

/** One device's memory: registers and bits by table; unmapped addresses answer exception 2. */
export class FakeModbusDevice {
  readonly registers = { 3: new Map<number, number>(), 4: new Map<number, number>() };
  readonly bits = { 1: new Map<number, boolean>(), 2: new Map<number, boolean>() };
  /** Every request that reached the device, in order. */
  readonly log: FakeOp[] = [];
  /** Fail the next requests with these (one per request), before looking at the memory. */
  readonly faults: Array<'timeout' | 'garbage' | number> = [];
  silent = false;
  /** Acknowledge writes without applying them. */
  ignoreWrites = false;
  constructor(readonly unitId = 1) {}

  private fault(what: string): void {
    if (this.silent) throw new ModbusError('timeout', `${what}: no response (timed out)`);
    const f = this.faults.shift();
    if (f === undefined) return;
    if (f === 'timeout') throw new ModbusError('timeout', `${what}: no response (timed out)`);
    if (f === 'garbage') throw new ModbusError('bad-response', `${what}: CRC error`);
    throw ModbusError.exception(f, what);
  }

  readRegisters(table: 3 | 4, address: number, count: number): number[] {
    return this.read(this.registers[table], table, address, count);
  }

  readBits(table: 1 | 2, address: number, count: number): boolean[] {
    return this.read(this.bits[table], table, address, count);
  }

  private read<T>(memory: Map<number, T>, table: number, address: number, count: number): T[] {
    this.log.push({ op: 'read', unit: this.unitId, table, address, count });
    this.fault(`read ${table}@${address}+${count}`);
    const out: T[] = [];
    for (let a = address; a < address + count; a++) {
      const v = memory.get(a);
      if (v === undefined) throw ModbusError.exception(2, `read ${table}@${address}+${count}`);
      out.push(v);
    }
    return out;
  }

  write(op: string, table: 1 | 3, address: number, values: Array<number | boolean>): void {
    this.log.push({ op, unit: this.unitId, table, address, count: values.length, values });
    this.fault(`${op} ${address}`);
    values.forEach((v, i) => {
      const mem = table === 1 ? this.bits[1] : this.registers[3];
      if (!mem.has(address + i)) throw ModbusError.exception(2, `${op} ${address}`);
      if (!this.ignoreWrites) (mem as Map<number, number | boolean>).set(address + i, v);
    });
  }
}

/** A connection to a bus with these devices on it, answering after `latencyMs`. */
export class FakeLink implements ModbusLink {
  closed = false;
  /** Addresses read through the callback reads (the driver's path for scan reads, as on ModbusClient). */
  readonly callbackReads: number[] = [];
  constructor(
    private readonly devices: Map<number, FakeModbusDevice>,
    private readonly latencyMs = 0,
  ) {}

  private async on<T>(unit: number, f: (d: FakeModbusDevice) => T, o?: RequestOptions): Promise<T> {
    if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
    const d = this.devices.get(unit);
    if (!d) {
      await new Promise((r) => setTimeout(r, o?.timeoutMs ?? 10));
      throw new ModbusError('timeout', `unit ${unit}: no response (timed out)`);
    }
    return f(d);
  }

  readRegisters(unit: number, table: 3 | 4, address: number, count: number, o?: RequestOptions) {
    return this.on(unit, (d) => d.readRegisters(table, address, count), o);
  }
  readBits(unit: number, table: 1 | 2, address: number, count: number, o?: RequestOptions) {
    return this.on(unit, (d) => d.readBits(table, address, count), o);
  }
  writeRegisters(unit: number, address: number, values: number[], fn: 6 | 16, o?: RequestOptions) {
    return this.on(unit, (d) => d.write(`fc${fn}`, 3, address, values), o);
  }
  writeCoil(unit: number, address: number, value: boolean, o?: RequestOptions) {
    return this.on(unit, (d) => d.write('fc5', 1, address, [value]), o);
  }
  writeCoils(unit: number, address: number, values: boolean[], o?: RequestOptions) {
    return this.on(unit, (d) => d.write('fc15', 1, address, values), o);
  }
  maskWriteRegister(unit: number, address: number, and: number, or: number, o?: RequestOptions) {
    return this.on(
      unit,
      (d) => {
        d.log.push({ op: 'fc22', unit, table: 3, address, count: 1, values: [and, or] });
        const current = d.registers[3].get(address);
        if (current === undefined) throw ModbusError.exception(2, `fc22 ${address}`);
        d.registers[3].set(address, (current & and) | (or & ~and & 0xffff));
      },
      o,
    );
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  readRegistersThen(
    unit: number,
    table: 3 | 4,
    address: number,
    count: number,
    o: RequestOptions,
    done: CallDone,
  ): void {
    this.callbackReads.push(address);
    this.readRegisters(unit, table, address, count, o).then(
      (v) => done(true, v),
      (e: unknown) => done(false, e),
    );
  }

  readBitsThen(
    unit: number,
    table: 1 | 2,
    address: number,
    count: number,
    o: RequestOptions,
    done: CallDone,
  ): void {
    this.callbackReads.push(address);
    this.readBits(unit, table, address, count, o).then(
      (v) => done(true, v),
      (e: unknown) => done(false, e),
    );
  }
}

export function point(p: Partial<PointDef> & Pick<PointDef, 'id' | 'modbus'>): PointDef {
  return {
    name: p.id,
    description: '',
    kind: 'analog',
    access: 'read',
    dataType: 'uint16',
    unit: '',
    tags: [],
    ...p,
  };
}

export function profile(points: PointDef[], quirks: Partial<Profile['modbus']> = {}): Profile {
  return {
    schemaVersion: 1,
    vendor: 'Test',
    model: 'fake',
    protocol: 'modbus',
    description: '',
    source: 'test',
    modbus: { addressing: 'zero-based', ...quirks },
    points,
  };
}

export function tcpDevice(
  id: string,
  unitId: number,
  pollIntervalMs = 1000,
  extra: Partial<SiteDevice> = {},
): SiteDevice {
  return {
    id,
    name: id,
    profile: 'test/fake.yaml',
    pollIntervalMs,
    modbus: { transport: 'tcp', host: '127.0.0.1', port: 1502, unitId },
    ...extra,
  };
}

export const ctx = (site: SiteDevice, p: Profile): DeviceContext => ({ site, profile: p });
