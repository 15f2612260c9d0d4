/**
 * A Modbus client facade (TCP and RTU): one method per function code, each
 * checking its arguments and its reply. The connection, the one-at-a-time
 * order, timeouts and framing faults live in session.ts; the wire is our own
 * MBAP link over TCP (mbap-link.ts says why) and modbus-serial over RTU,
 * reached only through raw-modbus.ts.
 *
 * Behaviour callers can rely on:
 * - One request in flight per client: calls queue and run in order.
 * - Every failure is a ModbusError with a kind ('timeout', 'exception',
 *   'connection', 'bad-response'); exceptions carry their §7 code and name;
 *   garbage and truncated frames are 'bad-response' naming the fault.
 * - A timeout never wedges the client, a lost connection is reopened by the
 *   next call, and close() fails everything pending (session.ts says how).
 * - Argument errors (address, count, unit id, timeout out of range) reject
 *   with RangeError before anything is sent.
 */
import { ModbusError } from './errors.js';
import { MbapTcpLink } from './mbap-link.js';
import { newRawModbus, teachMaskWriteLength } from './raw-modbus.js';
import type { RawModbus } from './raw-modbus.js';
import { ModbusSession } from './session.js';
import type { Call, CallDone } from './session.js';

export interface TcpOptions {
  host: string;
  port: number;
  timeoutMs: number;
}

/** Per-request settings: a device on a shared line may be slower than its neighbours. */
export interface RequestOptions {
  /** Overrides the client's timeout for this request. */
  timeoutMs?: number;
}

export interface RtuOptions {
  path: string;
  baudRate: number;
  parity?: 'none' | 'even' | 'odd';
  timeoutMs: number;
}

type Echo = { address: number };

export class ModbusClient {
  private readonly label: string;
  private readonly timeoutMs: number;

  private constructor(private readonly session: ModbusSession) {
    this.label = session.transport.label;
    this.timeoutMs = session.transport.timeoutMs;
  }

  static async connectTcp(o: TcpOptions): Promise<ModbusClient> {
    checkTimeout(o.timeoutMs);
    const session = new ModbusSession({
      kind: 'tcp',
      label: `modbus tcp ${o.host}:${o.port}`,
      timeoutMs: o.timeoutMs,
      create: () => new MbapTcpLink(),
      open: (raw) => raw.connectTCP(o.host, { port: o.port }),
    });
    await session.open();
    return new ModbusClient(session);
  }

  static async connectRtu(o: RtuOptions): Promise<ModbusClient> {
    checkTimeout(o.timeoutMs);
    const session = new ModbusSession({
      kind: 'rtu',
      label: `modbus rtu ${o.path}`,
      timeoutMs: o.timeoutMs,
      create: newRawModbus,
      open: async (raw) => {
        await raw.connectRTUBuffered(o.path, {
          baudRate: o.baudRate,
          parity: o.parity ?? 'none',
          dataBits: 8,
          stopBits: 1,
        });
        teachMaskWriteLength(raw);
      },
    });
    await session.open();
    return new ModbusClient(session);
  }

  get isOpen(): boolean {
    return this.session.isOpen;
  }

  /** Function 3 (table 3, holding) or 4 (table 4, input), 1.1b3 §6.3/§6.4. */
  readRegisters(
    unitId: number,
    table: 3 | 4,
    address: number,
    count: number,
    options: RequestOptions = {},
  ): Promise<number[]> {
    const call = this.registerRead(unitId, table, address, count, options);
    return call instanceof RangeError ? Promise.reject(call) : this.session.call(call);
  }

  /** readRegisters, reporting to `done` (ok and the registers, or the error) instead of through a promise. */
  readRegistersThen(
    unitId: number,
    table: 3 | 4,
    address: number,
    count: number,
    options: RequestOptions,
    done: CallDone,
  ): void {
    const call = this.registerRead(unitId, table, address, count, options);
    if (call instanceof RangeError) done(false, call);
    else this.session.callThen(call, done);
  }

  /** Function 1 (table 1, coils) or 2 (table 2, discrete inputs), 1.1b3 §6.1/§6.2. */
  readBits(
    unitId: number,
    table: 1 | 2,
    address: number,
    count: number,
    options: RequestOptions = {},
  ): Promise<boolean[]> {
    const call = this.bitRead(unitId, table, address, count, options);
    return call instanceof RangeError ? Promise.reject(call) : this.session.call(call);
  }

  /** readBits, reporting to `done` (ok and the bits, or the error) instead of through a promise. */
  readBitsThen(
    unitId: number,
    table: 1 | 2,
    address: number,
    count: number,
    options: RequestOptions,
    done: CallDone,
  ): void {
    const call = this.bitRead(unitId, table, address, count, options);
    if (call instanceof RangeError) done(false, call);
    else this.session.callThen(call, done);
  }

  /** Function 6 (exactly one value) or 16 (1..123 values), 1.1b3 §6.6/§6.12. */
  writeRegisters(
    unitId: number,
    address: number,
    values: number[],
    fn: 6 | 16,
    options: RequestOptions = {},
  ): Promise<void> {
    const bad =
      unitError(unitId) ??
      (fn === 6 && values.length !== 1
        ? new RangeError(`function 6 writes exactly one register, got ${values.length}`)
        : undefined) ??
      spanError(address, values.length, 123) ??
      wordsError(values, 'register value');
    if (bad) return Promise.reject(bad);
    const context = `${this.label} unit ${unitId}: write ${values.length} register(s) at ${address} (fn ${fn})`;
    return this.run(
      () => context,
      unitId,
      options,
      fn === 6
        ? (raw) => raw.writeRegister(address, values[0])
        : (raw) => raw.writeRegisters(address, values),
      (res) => checkEcho(res, address, context),
    );
  }

  /** Function 5, 1.1b3 §6.5. */
  writeCoil(unitId: number, address: number, value: boolean, options: RequestOptions = {}): Promise<void> {
    const bad = unitError(unitId) ?? spanError(address, 1, 1);
    if (bad) return Promise.reject(bad);
    const context = `${this.label} unit ${unitId}: write coil ${address}`;
    return this.run(
      () => context,
      unitId,
      options,
      (raw) => raw.writeCoil(address, value),
      (res) => checkEcho(res, address, context),
    );
  }

  /** Function 15 (1..1968 coils), 1.1b3 §6.11. */
  writeCoils(
    unitId: number,
    address: number,
    values: boolean[],
    options: RequestOptions = {},
  ): Promise<void> {
    const bad = unitError(unitId) ?? spanError(address, values.length, 1968);
    if (bad) return Promise.reject(bad);
    const context = `${this.label} unit ${unitId}: write ${values.length} coil(s) at ${address} (fn 15)`;
    return this.run(
      () => context,
      unitId,
      options,
      (raw) => raw.writeCoils(address, values),
      (res) => checkEcho(res, address, context),
    );
  }

  /**
   * Function 22, mask write register (1.1b3 §6.16): the device computes
   * (current AND andMask) OR (orMask AND NOT andMask), so one bit changes
   * without a read and without racing the device's own changes to the others.
   */
  maskWriteRegister(
    unitId: number,
    address: number,
    andMask: number,
    orMask: number,
    options: RequestOptions = {},
  ): Promise<void> {
    const bad = unitError(unitId) ?? spanError(address, 1, 1) ?? wordsError([andMask, orMask], 'mask');
    if (bad) return Promise.reject(bad);
    const context = `${this.label} unit ${unitId}: mask write register ${address} (fn 22)`;
    return this.run(
      () => context,
      unitId,
      options,
      (raw) => raw.maskWriteRegister(address, andMask, orMask),
      (res) => checkEcho(res, address, context),
    );
  }

  close(): Promise<void> {
    return this.session.close();
  }

  private registerRead(
    unitId: number,
    table: 3 | 4,
    address: number,
    count: number,
    options: RequestOptions,
  ): Call<{ data: number[] }, number[]> | RangeError {
    const bad = unitError(unitId) ?? spanError(address, count, 125);
    if (bad) return bad;
    const context = (): string =>
      `${this.label} unit ${unitId}: read ${count} register(s) of table ${table} at ${address}`;
    return this.callOf(
      context,
      unitId,
      options,
      table === 3
        ? (raw) => raw.readHoldingRegisters(address, count)
        : (raw) => raw.readInputRegisters(address, count),
      (res) => {
        if (res.data.length !== count)
          throw new ModbusError('bad-response', `${context()}: got ${res.data.length} register(s)`);
        return res.data;
      },
    );
  }

  private bitRead(
    unitId: number,
    table: 1 | 2,
    address: number,
    count: number,
    options: RequestOptions,
  ): Call<{ data: boolean[] }, boolean[]> | RangeError {
    const bad = unitError(unitId) ?? spanError(address, count, 2000);
    if (bad) return bad;
    const context = (): string =>
      `${this.label} unit ${unitId}: read ${count} bit(s) of table ${table} at ${address}`;
    return this.callOf(
      context,
      unitId,
      options,
      table === 1 ? (raw) => raw.readCoils(address, count) : (raw) => raw.readDiscreteInputs(address, count),
      (res) => {
        // The reply carries whole bytes (§6.1); the padding bits are not ours.
        if (res.data.length < count)
          throw new ModbusError('bad-response', `${context()}: got ${res.data.length} bit(s)`);
        return res.data.slice(0, count);
      },
    );
  }

  /** A write's call, run now. */
  private run<R>(
    context: () => string,
    unitId: number,
    options: RequestOptions,
    send: (raw: RawModbus) => Promise<R>,
    accept: (reply: R) => void,
  ): Promise<void> {
    const call = this.callOf(context, unitId, options, send, accept);
    return call instanceof RangeError ? Promise.reject(call) : this.session.call(call);
  }

  private callOf<R, T>(
    context: () => string,
    unitId: number,
    options: RequestOptions,
    send: (raw: RawModbus) => Promise<R>,
    accept: (reply: R) => T,
  ): Call<R, T> | RangeError {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const bad = options.timeoutMs === undefined ? undefined : timeoutError(timeoutMs);
    return bad ?? { context, unitId, timeoutMs, send, accept };
  }
}

// Argument checks return the error instead of throwing it: the methods reject with it before anything is sent.

function timeoutError(ms: number): RangeError | undefined {
  return Number.isFinite(ms) && ms > 0
    ? undefined
    : new RangeError(`timeoutMs ${ms} must be a positive number`);
}

function checkTimeout(ms: number): void {
  const bad = timeoutError(ms);
  if (bad) throw bad;
}

function unitError(unitId: number): RangeError | undefined {
  return Number.isInteger(unitId) && unitId >= 0 && unitId <= 255
    ? undefined
    : new RangeError(`unit id ${unitId} is not 0..255`);
}

function spanError(address: number, count: number, max: number): RangeError | undefined {
  if (!Number.isInteger(address) || address < 0 || address > 0xffff)
    return new RangeError(`address ${address} is not 0..65535`);
  if (!Number.isInteger(count) || count < 1 || count > max)
    return new RangeError(`count ${count} is not 1..${max}`);
  if (address + count > 0x10000) return new RangeError(`${count} from address ${address} runs past 65535`);
  return undefined;
}

function wordsError(words: readonly number[], what: string): RangeError | undefined {
  const bad = words.find((w) => !Number.isInteger(w) || w < 0 || w > 0xffff);
  return bad === undefined ? undefined : new RangeError(`${what} ${bad} is not 0..65535`);
}

/** §6.5/§6.6/§6.12: a write is confirmed by echoing its address. */
function checkEcho(res: Echo, address: number, context: string): void {
  if (res.address !== address) {
    throw new ModbusError('bad-response', `${context}: reply echoes address ${res.address}`);
  }
}
