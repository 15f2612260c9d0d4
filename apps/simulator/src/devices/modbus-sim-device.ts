/**
 * A Modbus TCP device built from a profile: its register image is computed on
 * each request from the device's engineering values, encoded with the
 * profile's data type, byte and word order and scale, exactly as the vendor's
 * map says the hardware would present them (MODBUS Application Protocol 1.1b3
 * §6). Unmapped registers inside a request read as 0, as most devices do.
 */
import { ModbusTcpServer, decodeRegisters, encodeRegisters, registerCount } from '#libs/modbus';
import type { Encoding, ModbusReply, ModbusRequest } from '#libs/modbus';
import { effectiveEncoding, pduAddress } from '#libs/profiles';
import type { ModbusDataType, PointDef, Profile, SiteDevice } from '#libs/profiles';
import type { SimDeviceState, SimFaults } from '#libs/contracts';
import { FaultState, initialValue, sleep } from './sim-device.js';
import type { SimDevice } from './sim-device.js';

interface MappedPoint {
  point: PointDef;
  table: 1 | 2 | 3 | 4;
  address: number;
  words: number;
  enc: Encoding;
}

const EXCEPTION_ILLEGAL_ADDRESS = 2;

export class ModbusSimDevice implements SimDevice {
  readonly id: string;
  private server?: ModbusTcpServer;
  private host: string;
  private port: number;
  private readonly unitId: number;
  private readonly values = new Map<string, number>();
  private readonly lastWrites = new Map<string, { value: number; at: string }>();
  private readonly mapped: MappedPoint[];
  private readonly faultState: FaultState;

  constructor(
    readonly site: SiteDevice,
    readonly profile: Profile,
  ) {
    this.id = site.id;
    const ep = site.modbus;
    if (!ep || ep.transport !== 'tcp')
      throw new Error(`device "${site.id}": the simulator serves Modbus TCP only`);
    this.host = ep.host;
    this.port = ep.port;
    this.unitId = ep.unitId;
    this.mapped = profile.points.map((point) => {
      const m = point.modbus!;
      const e = effectiveEncoding(profile, point);
      return {
        point,
        table: m.function,
        address: pduAddress(profile, point),
        words: m.function <= 2 ? 1 : registerCount(point.dataType as ModbusDataType),
        enc: { dataType: point.dataType as ModbusDataType, ...e, bit: m.bit },
      };
    });
    for (const m of this.mapped) this.values.set(m.point.id, this.quantize(m, initialValue(m.point)));
    this.faultState = new FaultState(site.id, profile.points, 'modbus');
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = new ModbusTcpServer({
      host: this.host,
      port: this.port,
      handler: (req) => this.handle(req),
    });
    const bound = await this.server.listen();
    this.host = bound.host;
    this.port = bound.port;
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  read(pointId: string): number | undefined {
    return this.values.get(pointId);
  }

  setSensor(pointId: string, value: number): void {
    const m = this.mapped.find((x) => x.point.id === pointId);
    if (!m || m.point.access === 'write') return;
    this.values.set(pointId, this.quantize(m, this.faultState.sensorValue(m.point, value)));
  }

  faults(): SimFaults {
    return this.faultState.get();
  }

  setFaults(faults: SimFaults): void {
    this.faultState.set(faults);
    for (const m of this.mapped)
      if (m.point.access === 'read') this.setSensor(m.point.id, this.values.get(m.point.id) ?? 0);
  }

  state(): SimDeviceState {
    return {
      id: this.id,
      name: this.site.name,
      protocol: 'modbus',
      address: `${this.address} unit ${this.unitId}`,
      faults: this.faultState.get(),
      requests: this.server?.requestCount ?? 0,
      points: this.profile.points.map((p) => {
        const w = this.lastWrites.get(p.id);
        return {
          id: p.id,
          name: p.name,
          value: this.values.get(p.id) ?? 0,
          writable: p.access === 'write',
          lastWrite:
            p.access === 'write' ? (w ? { value: w.value, priority: null, at: w.at } : null) : undefined,
        };
      }),
    };
  }

  private async handle(req: ModbusRequest): Promise<ModbusReply> {
    const f = this.faultState.get();
    if (f.offline) return { drop: true };
    if (f.delayMs) await sleep(f.delayMs);
    if (req.unitId !== this.unitId && req.unitId !== 0) return { drop: true };
    if (f.exceptionCode) return { exception: f.exceptionCode };
    // A line with noise on it: bytes that frame as nothing Modbus knows.
    if (f.garbage) return { raw: Buffer.from('\x13\x37garbage on the line\r\n', 'latin1') };
    switch (req.functionCode) {
      case 1:
      case 2:
        return { bits: this.readBits(req.functionCode, req.address, req.quantity) };
      case 3:
      case 4:
        return { registers: this.readRegisters(req.functionCode, req.address, req.quantity) };
      case 5:
      case 15:
        return this.writeBits(req.address, (req.values ?? []) as boolean[]);
      case 6:
      case 16:
        return this.writeRegisters(req.address, (req.values ?? []) as number[]);
      default:
        return { exception: 1 };
    }
  }

  private readBits(table: 1 | 2, address: number, quantity: number): boolean[] {
    const out = new Array<boolean>(quantity).fill(false);
    for (const m of this.mapped) {
      if (m.table !== table) continue;
      const i = m.address - address;
      if (i >= 0 && i < quantity) out[i] = (this.values.get(m.point.id) ?? 0) !== 0;
    }
    return out;
  }

  private readRegisters(table: 3 | 4, address: number, quantity: number): number[] {
    const out = new Array<number>(quantity).fill(0);
    for (const m of this.mapped) {
      if (m.table !== table || m.address + m.words <= address || m.address >= address + quantity) continue;
      const value = this.values.get(m.point.id) ?? 0;
      let regs: number[];
      try {
        regs = encodeRegisters(value, m.enc);
      } catch {
        // A value the type cannot hold (an out-of-range fault on int16) saturates like a real ADC.
        regs = encodeRegisters(value > 0 ? maxFor(m.enc) : minFor(m.enc), m.enc);
      }
      for (let w = 0; w < m.words; w++) {
        const i = m.address + w - address;
        if (i < 0 || i >= quantity) continue;
        // Bools packed into one register share it: OR their bits together.
        out[i] = m.enc.bit !== undefined ? out[i] | regs[w] : regs[w];
      }
    }
    return out;
  }

  private writeBits(address: number, values: boolean[]): ModbusReply {
    const targets = values.map((_, i) => this.mapped.find((m) => m.table === 1 && m.address === address + i));
    if (targets.some((t) => !t || t.point.access !== 'write'))
      return { exception: EXCEPTION_ILLEGAL_ADDRESS };
    targets.forEach((t, i) => this.applyWrite(t!.point.id, values[i] ? 1 : 0));
    return { ok: true };
  }

  private writeRegisters(address: number, values: number[]): ModbusReply {
    const end = address + values.length;
    const touched = this.mapped.filter(
      (m) => m.table === 3 && m.address < end && m.address + m.words > address,
    );
    // Every written register must belong to writable points, and a multi-register value must be written whole.
    // A register of packed bits (a drive's control word) is written whole: each writable bit takes its new state.
    const covered = new Set(touched.flatMap((m) => Array.from({ length: m.words }, (_, w) => m.address + w)));
    if (
      touched.length === 0 ||
      touched.some((m) => m.point.access !== 'write') ||
      touched.some((m) => m.address < address || m.address + m.words > end) ||
      covered.size !== values.length
    )
      return { exception: EXCEPTION_ILLEGAL_ADDRESS };
    for (const m of touched) {
      const regs = values.slice(m.address - address, m.address - address + m.words);
      this.applyWrite(m.point.id, decodeRegisters(regs, m.enc));
    }
    return { ok: true };
  }

  /** The hardware holds raw registers: a value it reports is always one its encoding can represent. */
  private quantize(m: MappedPoint, value: number): number {
    if (m.table <= 2) return value ? 1 : 0;
    try {
      return decodeRegisters(encodeRegisters(value, m.enc), m.enc);
    } catch {
      return value; // out of the type's range: readRegisters saturates it
    }
  }

  private applyWrite(pointId: string, value: number): void {
    this.values.set(pointId, value);
    this.lastWrites.set(pointId, { value, at: new Date().toISOString() });
  }
}

function maxFor(enc: Encoding): number {
  const raw = enc.dataType === 'int16' ? 32767 : enc.dataType === 'uint16' ? 65535 : 2147483647;
  return raw * enc.scale + enc.offset;
}
function minFor(enc: Encoding): number {
  const raw = enc.dataType === 'int16' ? -32768 : enc.dataType === 'int32' ? -2147483648 : 0;
  return raw * enc.scale + enc.offset;
}
