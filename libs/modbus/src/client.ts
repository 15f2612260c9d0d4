/**
 * A Modbus client facade over modbus-serial (TCP and RTU). This is the only file
 * that imports modbus-serial; it is typed through RawModbus below, which declares
 * only the calls we use (CONVENTIONS.md habit 5).
 *
 * Behaviour callers can rely on:
 * - One request in flight per client: calls queue and run in order.
 * - Every failure is a ModbusError with a kind ('timeout', 'exception',
 *   'connection', 'bad-response'); exceptions carry their §7 code and name.
 * - A timeout never wedges the client. Over TCP, after a timeout or a bad
 *   response the connection is dropped, because a truncated or garbled frame
 *   leaves the byte stream unframeable (MBAP lengths can no longer be trusted)
 *   and a late reply must not be taken for the next one; the next call opens a
 *   fresh connection (isOpen is false until then). Over RTU the port stays
 *   open: modbus-serial's buffered port resynchronises on unit id and function
 *   code. RTU has no transaction id, so a reply arriving after its own timeout
 *   could be taken for the next request to the same unit and function; an
 *   inter-request delay at least as long as a slow device's lateness avoids it.
 * - Lost connection: when the peer closes the connection, the request in flight
 *   fails at once with kind 'connection'. Each later call reconnects first
 *   (one attempt, bounded by timeoutMs); if that fails, the call fails with kind
 *   'connection'. There is no back-off here: the bus scheduler that owns the
 *   polling rhythm decides how often to try (CONVENTIONS.md habit 2).
 * - Argument errors (address, count, unit id out of range) reject with
 *   RangeError before anything is sent.
 * - close() fails the request in flight and every queued one with 'connection';
 *   the client does not reconnect after close().
 */
import modbusSerial from 'modbus-serial';
import { ModbusError, toModbusError } from './errors.js';

/** The part of modbus-serial 8.0.25's ModbusRTU class we use. */
interface RawModbus {
  readonly isOpen: boolean;
  setID(id: number): void;
  setTimeout(ms: number): void;
  connectTCP(host: string, options: { port: number }): Promise<void>;
  connectRTUBuffered(
    path: string,
    options: { baudRate: number; parity: 'none' | 'even' | 'odd'; dataBits: 8; stopBits: 1 },
  ): Promise<void>;
  readCoils(address: number, length: number): Promise<{ data: boolean[] }>;
  readDiscreteInputs(address: number, length: number): Promise<{ data: boolean[] }>;
  readHoldingRegisters(address: number, length: number): Promise<{ data: number[] }>;
  readInputRegisters(address: number, length: number): Promise<{ data: number[] }>;
  writeCoil(address: number, state: boolean): Promise<{ address: number }>;
  writeRegister(address: number, value: number): Promise<{ address: number }>;
  writeRegisters(address: number, values: number[]): Promise<{ address: number }>;
  writeCoils(address: number, states: boolean[]): Promise<{ address: number }>;
  maskWriteRegister(address: number, andMask: number, orMask: number): Promise<{ address: number }>;
  close(callback: (err?: unknown) => void): void;
  destroy(callback: (err?: unknown) => void): void;
  on(event: 'error' | 'close', listener: (...args: unknown[]) => void): unknown;
}

type RawCtor = new () => RawModbus;
// CommonJS package exporting itself as .default (see STACK.md).
const ModbusSerial = (modbusSerial as unknown as { default: RawCtor }).default;

/** Backstop beyond modbus-serial's own per-transaction timer, should that timer never fire. */
const GUARD_MS = 1000;

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

interface Transport {
  kind: 'tcp' | 'rtu';
  label: string;
  timeoutMs: number;
  open(raw: RawModbus): Promise<void>;
}

export class ModbusClient {
  private raw: RawModbus | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Calls queued or running; while 0, a call starts at once instead of chaining onto `queue`. */
  private pending = 0;
  private closed = false;
  /** Fails the request in flight (connection lost or client closed). */
  private abortInFlight: ((err: ModbusError) => void) | null = null;
  /** The guarded operation in flight: when its backstop falls due, and how to fail it then. */
  private guarded: { deadline: number; expire: () => void } | null = null;
  /** One backstop timer per client, armed no later than the guarded operation's deadline (see guard()). */
  private guardTimer: ReturnType<typeof setTimeout> | null = null;
  private guardAt = Infinity;

  private constructor(private readonly transport: Transport) {}

  static async connectTcp(o: TcpOptions): Promise<ModbusClient> {
    checkTimeout(o.timeoutMs);
    const client = new ModbusClient({
      kind: 'tcp',
      label: `modbus tcp ${o.host}:${o.port}`,
      timeoutMs: o.timeoutMs,
      open: (raw) => raw.connectTCP(o.host, { port: o.port }),
    });
    await client.connect();
    return client;
  }

  static async connectRtu(o: RtuOptions): Promise<ModbusClient> {
    checkTimeout(o.timeoutMs);
    const client = new ModbusClient({
      kind: 'rtu',
      label: `modbus rtu ${o.path}`,
      timeoutMs: o.timeoutMs,
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
    await client.connect();
    return client;
  }

  get isOpen(): boolean {
    return !this.closed && this.raw !== null && this.raw.isOpen;
  }

  /** Function 3 (table 3, holding) or 4 (table 4, input), 1.1b3 §6.3/§6.4. */
  async readRegisters(
    unitId: number,
    table: 3 | 4,
    address: number,
    count: number,
    options: RequestOptions = {},
  ): Promise<number[]> {
    checkUnit(unitId);
    checkSpan(address, count, 125);
    const context = (): string =>
      `${this.transport.label} unit ${unitId}: read ${count} register(s) of table ${table} at ${address}`;
    return this.run(context, unitId, options, async (raw) => {
      const res = await (table === 3
        ? raw.readHoldingRegisters(address, count)
        : raw.readInputRegisters(address, count));
      if (res.data.length !== count) {
        throw new ModbusError('bad-response', `${context()}: got ${res.data.length} register(s)`);
      }
      return res.data;
    });
  }

  /** Function 1 (table 1, coils) or 2 (table 2, discrete inputs), 1.1b3 §6.1/§6.2. */
  async readBits(
    unitId: number,
    table: 1 | 2,
    address: number,
    count: number,
    options: RequestOptions = {},
  ): Promise<boolean[]> {
    checkUnit(unitId);
    checkSpan(address, count, 2000);
    const context = (): string =>
      `${this.transport.label} unit ${unitId}: read ${count} bit(s) of table ${table} at ${address}`;
    return this.run(context, unitId, options, async (raw) => {
      const res = await (table === 1
        ? raw.readCoils(address, count)
        : raw.readDiscreteInputs(address, count));
      // The reply carries whole bytes (§6.1); the padding bits are not ours.
      if (res.data.length < count)
        throw new ModbusError('bad-response', `${context()}: got ${res.data.length} bit(s)`);
      return res.data.slice(0, count);
    });
  }

  /** Function 6 (exactly one value) or 16 (1..123 values), 1.1b3 §6.6/§6.12. */
  async writeRegisters(
    unitId: number,
    address: number,
    values: number[],
    fn: 6 | 16,
    options: RequestOptions = {},
  ): Promise<void> {
    checkUnit(unitId);
    if (fn === 6 && values.length !== 1)
      throw new RangeError(`function 6 writes exactly one register, got ${values.length}`);
    checkSpan(address, values.length, 123);
    for (const v of values) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffff)
        throw new RangeError(`register value ${v} is not 0..65535`);
    }
    const context = `${this.transport.label} unit ${unitId}: write ${values.length} register(s) at ${address} (fn ${fn})`;
    return this.run(
      () => context,
      unitId,
      options,
      async (raw) => {
        const res = await (fn === 6
          ? raw.writeRegister(address, values[0])
          : raw.writeRegisters(address, values));
        checkEcho(res, address, context);
      },
    );
  }

  /** Function 5, 1.1b3 §6.5. */
  async writeCoil(
    unitId: number,
    address: number,
    value: boolean,
    options: RequestOptions = {},
  ): Promise<void> {
    checkUnit(unitId);
    checkSpan(address, 1, 1);
    const context = `${this.transport.label} unit ${unitId}: write coil ${address}`;
    return this.run(
      () => context,
      unitId,
      options,
      async (raw) => checkEcho(await raw.writeCoil(address, value), address, context),
    );
  }

  /** Function 15 (1..1968 coils), 1.1b3 §6.11. */
  async writeCoils(
    unitId: number,
    address: number,
    values: boolean[],
    options: RequestOptions = {},
  ): Promise<void> {
    checkUnit(unitId);
    checkSpan(address, values.length, 1968);
    const context = `${this.transport.label} unit ${unitId}: write ${values.length} coil(s) at ${address} (fn 15)`;
    return this.run(
      () => context,
      unitId,
      options,
      async (raw) => checkEcho(await raw.writeCoils(address, values), address, context),
    );
  }

  /**
   * Function 22, mask write register (1.1b3 §6.16): the device computes
   * (current AND andMask) OR (orMask AND NOT andMask), so one bit changes
   * without a read and without racing the device's own changes to the others.
   */
  async maskWriteRegister(
    unitId: number,
    address: number,
    andMask: number,
    orMask: number,
    options: RequestOptions = {},
  ): Promise<void> {
    checkUnit(unitId);
    checkSpan(address, 1, 1);
    for (const m of [andMask, orMask])
      if (!Number.isInteger(m) || m < 0 || m > 0xffff) throw new RangeError(`mask ${m} is not 0..65535`);
    const context = `${this.transport.label} unit ${unitId}: mask write register ${address} (fn 22)`;
    return this.run(
      () => context,
      unitId,
      options,
      async (raw) => checkEcho(await raw.maskWriteRegister(address, andMask, orMask), address, context),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abortInFlight?.(new ModbusError('connection', 'client closed'));
    if (this.guardTimer !== null) clearTimeout(this.guardTimer);
    this.guardTimer = null;
    this.guardAt = Infinity;
    const raw = this.raw;
    this.raw = null;
    if (raw) await this.release(raw);
  }

  /** `context` names the request in error messages; it is a function so a request that succeeds never builds it. */
  private run<T>(
    context: () => string,
    unitId: number,
    options: RequestOptions,
    op: (raw: RawModbus) => Promise<T>,
  ): Promise<T> {
    if (options.timeoutMs !== undefined) checkTimeout(options.timeoutMs);
    const timeoutMs = options.timeoutMs ?? this.transport.timeoutMs;
    // One call at a time, in call order: an idle client starts at once, a busy one chains behind the last call.
    const result =
      this.pending === 0
        ? this.exec(context, unitId, timeoutMs, op)
        : this.queue.then(() => this.exec(context, unitId, timeoutMs, op));
    this.pending++;
    const settled = (): void => {
      this.pending--;
    };
    this.queue = result.then(settled, settled);
    return result;
  }

  private async exec<T>(
    context: () => string,
    unitId: number,
    timeoutMs: number,
    op: (raw: RawModbus) => Promise<T>,
  ): Promise<T> {
    if (this.closed) throw new ModbusError('connection', `${context()}: client is closed`);
    const raw = this.raw?.isOpen ? this.raw : await this.connect();
    raw.setID(unitId);
    raw.setTimeout(timeoutMs); // modbus-serial arms its timer when the frame is written, with the value set now
    try {
      return await this.guard(op(raw), context, 'request', timeoutMs);
    } catch (err) {
      const e = toModbusError(err, context(), 'request');
      const framingLost =
        this.transport.kind === 'tcp' && (e.kind === 'timeout' || e.kind === 'bad-response');
      if (e.kind === 'connection' || framingLost) await this.drop(raw);
      throw e;
    }
  }

  /**
   * Settles with the request, or fails it when the connection is lost or the
   * backstop falls due (GUARD_MS after the request's own timeout, should
   * modbus-serial's timer never fire). The backstop is a deadline checked by
   * one timer per client, not a timer per request: the timer is re-armed only
   * when it fires early for the operation then in flight.
   */
  private guard<T>(
    request: Promise<T>,
    context: () => string,
    phase: 'connect' | 'request',
    timeoutMs = this.transport.timeoutMs,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        this.guarded = null;
        this.abortInFlight = null;
      };
      const deadline = Date.now() + timeoutMs + GUARD_MS;
      this.guarded = {
        deadline,
        expire: () => {
          done();
          reject(new ModbusError('timeout', `${context()}: no response (timed out)`));
        },
      };
      this.armGuard(deadline);
      this.abortInFlight = (err) => {
        done();
        reject(new ModbusError(err.kind, `${context()}: ${err.message}`));
      };
      request.then(
        (v) => {
          done();
          resolve(v);
        },
        (err: unknown) => {
          done();
          // Classified here: modbus-serial rejects with plain objects (timeouts, closed port), not Errors.
          reject(toModbusError(err, context(), phase));
        },
      );
    });
  }

  private armGuard(at: number): void {
    if (this.guardTimer !== null) {
      if (this.guardAt <= at) return; // fires first, then re-arms for this deadline
      clearTimeout(this.guardTimer);
    }
    this.guardAt = at;
    this.guardTimer = setTimeout(() => this.checkGuard(), Math.max(0, at - Date.now()));
  }

  private checkGuard(): void {
    this.guardTimer = null;
    this.guardAt = Infinity;
    const g = this.guarded;
    if (!g) return;
    if (Date.now() >= g.deadline) g.expire();
    else this.armGuard(g.deadline);
  }

  /** (Re)opens the transport; any failure is kind 'connection'. */
  private async connect(): Promise<RawModbus> {
    if (this.raw) await this.drop(this.raw);
    const raw = new ModbusSerial();
    raw.setTimeout(this.transport.timeoutMs);
    raw.on('error', () => undefined); // serial port errors surface as failed requests, never as a crash
    raw.on('close', () => {
      if (this.raw === raw) {
        this.raw = null;
        this.abortInFlight?.(new ModbusError('connection', 'connection closed by peer'));
      }
    });
    const context = `${this.transport.label}: connect`;
    try {
      await this.guard(this.transport.open(raw), () => context, 'connect');
    } catch (err) {
      await this.release(raw);
      const e = toModbusError(err, context, 'connect'); // the backstop timer's 'timeout' included
      throw e.kind === 'connection' ? e : new ModbusError('connection', e.message, { cause: e });
    }
    if (this.closed) {
      await this.release(raw);
      throw new ModbusError('connection', `${context}: client closed`);
    }
    this.raw = raw;
    return raw;
  }

  private async drop(raw: RawModbus): Promise<void> {
    if (this.raw === raw) this.raw = null;
    await this.release(raw);
  }

  /** TCP: destroy the socket (end() would wait for a peer that may be gone). RTU: close the port. */
  private release(raw: RawModbus): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.transport.timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      try {
        if (this.transport.kind === 'tcp') raw.destroy(done);
        else raw.close(done);
      } catch {
        done();
      }
    });
  }
}

/**
 * modbus-serial 8.0.25's buffered RTU port frames a reply by the length it
 * expects for the request's function code, and knows none for function 22:
 * the reply would sit in its buffer until the request timed out. A mask write
 * reply echoes the request (1.1b3 §6.16): unit, function, address, AND mask,
 * OR mask, CRC = 10 bytes. Set that length after each function-22 request.
 */
function teachMaskWriteLength(raw: RawModbus): void {
  const port = (raw as unknown as { _port?: { write?: (data: Buffer) => void; _length?: number } })._port;
  const write = port?.write;
  if (!port || typeof write !== 'function') return;
  port.write = function (this: typeof port, data: Buffer) {
    write.call(this, data);
    if (data.length > 1 && data[1] === 22) port._length = 10;
  };
}

function checkTimeout(ms: number): void {
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`timeoutMs ${ms} must be a positive number`);
}

function checkUnit(unitId: number): void {
  if (!Number.isInteger(unitId) || unitId < 0 || unitId > 255)
    throw new RangeError(`unit id ${unitId} is not 0..255`);
}

function checkSpan(address: number, count: number, max: number): void {
  if (!Number.isInteger(address) || address < 0 || address > 0xffff) {
    throw new RangeError(`address ${address} is not 0..65535`);
  }
  if (!Number.isInteger(count) || count < 1 || count > max)
    throw new RangeError(`count ${count} is not 1..${max}`);
  if (address + count > 0x10000) throw new RangeError(`${count} from address ${address} runs past 65535`);
}

/** §6.5/§6.6/§6.12: a write is confirmed by echoing its address. */
function checkEcho(res: { address: number }, address: number, context: string): void {
  if (res.address !== address) {
    throw new ModbusError('bad-response', `${context}: reply echoes address ${res.address}`);
  }
}
