/**
 * One Modbus bus as the driver sees it: the bus's scheduler (libs/fieldbus)
 * and the connections requests run on. A serial line has one port and one
 * request at a time; a TCP endpoint (a device, or a gateway in front of
 * several unit ids) has up to `maxInFlight` connections, one per request in
 * flight, opened when first needed. With one request in flight (the default)
 * the line keeps its one connection and hands it out without bookkeeping.
 */
import { FieldbusError } from '#libs/fieldbus';
import type { BusRegistry, BusScheduler } from '#libs/fieldbus';
import { ModbusClient } from '#libs/modbus';
import type { CallDone, RequestOptions } from '#libs/modbus';
import type { ModbusRtuEndpoint, ModbusTcpEndpoint } from '#libs/profiles';

/** The calls the driver makes on a connection (ModbusClient implements them; tests may fake them). */
export interface ModbusLink {
  readRegisters(
    unitId: number,
    table: 3 | 4,
    address: number,
    count: number,
    o?: RequestOptions,
  ): Promise<number[]>;
  readBits(
    unitId: number,
    table: 1 | 2,
    address: number,
    count: number,
    o?: RequestOptions,
  ): Promise<boolean[]>;
  writeRegisters(
    unitId: number,
    address: number,
    values: number[],
    fn: 6 | 16,
    o?: RequestOptions,
  ): Promise<void>;
  writeCoil(unitId: number, address: number, value: boolean, o?: RequestOptions): Promise<void>;
  writeCoils(unitId: number, address: number, values: boolean[], o?: RequestOptions): Promise<void>;
  maskWriteRegister(
    unitId: number,
    address: number,
    and: number,
    or: number,
    o?: RequestOptions,
  ): Promise<void>;
  close(): Promise<void>;
  /** The reads reporting to a callback instead of a promise: the scan's path (no promise per request). */
  readRegistersThen(
    unitId: number,
    table: 3 | 4,
    address: number,
    count: number,
    o: RequestOptions,
    done: CallDone,
  ): void;
  readBitsThen(
    unitId: number,
    table: 1 | 2,
    address: number,
    count: number,
    o: RequestOptions,
    done: CallDone,
  ): void;
}

export type ModbusEndpoint = ModbusTcpEndpoint | ModbusRtuEndpoint;
export type LinkOpener = (endpoint: ModbusEndpoint, timeoutMs: number) => Promise<ModbusLink>;

export const openModbusLink: LinkOpener = (ep, timeoutMs) =>
  ep.transport === 'tcp'
    ? ModbusClient.connectTcp({ host: ep.host, port: ep.port, timeoutMs })
    : ModbusClient.connectRtu({ path: ep.path, baudRate: ep.baudRate, parity: ep.parity, timeoutMs });

export function busKey(ep: ModbusEndpoint): string {
  return ep.transport === 'tcp' ? `modbus-tcp:${ep.host}:${ep.port}` : `modbus-rtu:${ep.path}`;
}

/**
 * Modbus over Serial Line V1.02 §2.5.1.1: frames are separated by at least
 * 3.5 character times (11 bits each); above 19200 baud a fixed 1.75 ms.
 */
export function rtuSilenceMs(baudRate: number): number {
  return baudRate > 19200 ? 1.75 : (3.5 * 11 * 1000) / baudRate;
}

export class ModbusLine {
  readonly scheduler: BusScheduler;
  /** One request in flight (a serial line, and a TCP endpoint by default): one connection, no bookkeeping. */
  private readonly single: boolean;
  private only: ModbusLink | null = null;
  private opening: Promise<ModbusLink> | null = null;
  private readonly idle: ModbusLink[] = [];
  private readonly all = new Set<ModbusLink>();
  private closed = false;

  constructor(
    readonly endpoint: ModbusEndpoint,
    buses: BusRegistry,
    private readonly open: LinkOpener,
    /** Connection timeout; requests carry their own device's timeout. */
    private readonly connectTimeoutMs: number,
  ) {
    const tcp = endpoint.transport === 'tcp';
    const maxInFlight = tcp ? (endpoint.maxInFlight ?? 1) : 1;
    this.single = maxInFlight === 1;
    this.scheduler = buses.bus(busKey(endpoint), {
      maxInFlight,
      interRequestDelayMs: tcp ? 0 : Math.ceil(rtuSilenceMs(endpoint.baudRate)),
    });
  }

  /**
   * Runs `op` on a free connection; the scheduler guarantees there are never
   * more requests than connections allowed. `recover`, if given, handles a
   * failure after the connection is given back (the driver's retries), in the
   * same promise reaction: every scheduled request comes through here.
   */
  withLink<T>(op: (link: ModbusLink) => Promise<T>, recover?: (err: unknown) => Promise<T>): Promise<T> {
    if (this.only !== null) return this.runOnOnly(this.only, op, recover);
    if (this.single) return this.openOnly().then((link) => this.runOnOnly(link, op, recover), recover);
    // Usually a connection is idle: take it without an extra await.
    const free = this.idle.pop();
    if (free) return this.runOn(free, op, recover);
    return this.acquire().then((link) => this.runOn(link, op, recover), recover);
  }

  /**
   * withLink for a request that reports by callback: `run` gets a connection
   * and `done`, and calls `done` once. On a line with one connection that is
   * all there is to it: no promise, no bookkeeping.
   */
  withLinkThen(run: (link: ModbusLink, done: CallDone) => void, done: CallDone): void {
    const only = this.only;
    if (only !== null) return this.runThen(only, run, done);
    if (this.single) {
      this.openOnly().then(
        (link) => this.runThen(link, run, done),
        (err: unknown) => done(false, err),
      );
      return;
    }
    const free = this.idle.pop();
    const give = (link: ModbusLink): void => {
      let settled = false;
      this.runThen(link, run, (ok, value) => {
        if (settled) return;
        settled = true;
        this.giveBack(link);
        done(ok, value);
      });
    };
    if (free) give(free);
    else
      this.acquire().then(give, (err: unknown) => {
        done(false, err);
      });
  }

  /** The connection of a one-connection line, opened on first use; two requests meeting here share one connect. */
  private openOnly(): Promise<ModbusLink> {
    this.opening ??= this.acquire().then(
      (link) => (this.only = link),
      (err: unknown) => {
        this.opening = null;
        throw err;
      },
    );
    return this.opening;
  }

  private runThen(link: ModbusLink, run: (link: ModbusLink, done: CallDone) => void, done: CallDone): void {
    try {
      run(link, done);
    } catch (err) {
      done(false, err);
    }
  }

  /** Runs `op` on the line's one connection (ModbusClient itself keeps its requests one at a time). */
  private runOnOnly<T>(
    link: ModbusLink,
    op: (link: ModbusLink) => Promise<T>,
    recover: ((err: unknown) => Promise<T>) | undefined,
  ): Promise<T> {
    let result: Promise<T>;
    try {
      result = op(link);
    } catch (err) {
      return this.thrown(null, err, recover);
    }
    return recover ? result.then(undefined, recover) : result;
  }

  /** Runs `op` and gives the connection back when it settles. */
  private runOn<T>(
    link: ModbusLink,
    op: (link: ModbusLink) => Promise<T>,
    recover: ((err: unknown) => Promise<T>) | undefined,
  ): Promise<T> {
    let result: Promise<T>;
    try {
      result = op(link);
    } catch (err) {
      return this.thrown(link, err, recover);
    }
    return result.then(
      (value) => {
        this.giveBack(link);
        return value;
      },
      (err: unknown) => {
        this.giveBack(link);
        if (recover) return recover(err);
        throw err;
      },
    );
  }

  /** `op` threw instead of rejecting: the same, as a rejection. */
  private async thrown<T>(
    link: ModbusLink | null,
    err: unknown,
    recover: ((err: unknown) => Promise<T>) | undefined,
  ): Promise<T> {
    if (link) this.giveBack(link);
    if (recover) return recover(err);
    throw err;
  }

  private giveBack(link: ModbusLink): void {
    if (this.closed) void link.close().catch(() => undefined);
    else this.idle.push(link);
  }

  async close(): Promise<void> {
    this.closed = true;
    const links = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    this.only = null;
    this.opening = null;
    await Promise.allSettled(links.map((l) => l.close()));
  }

  private async acquire(): Promise<ModbusLink> {
    const link = await this.open(this.endpoint, this.connectTimeoutMs);
    if (this.closed) {
      await link.close();
      throw new FieldbusError('connection', `${busKey(this.endpoint)} closed while connecting`);
    }
    this.all.add(link);
    return link;
  }
}
