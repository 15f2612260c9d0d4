/**
 * Modbus TCP and RTU adapter of the driver port (libs/fieldbus driver-port.ts).
 *
 * - Every request goes through its bus's scheduler: a bus is a TCP host:port
 *   or an RTU serial path, shared by every unit id behind it. Reads are
 *   'poll' requests (or 'write' for a write's read-back), writes are 'write'
 *   requests, so writes jump ahead of queued polls; each device has its own
 *   breaker on the bus, set from its poll interval.
 * - Reads are planned per device (unit id and function code) into the fewest
 *   requests within the profile's maxRegistersPerRequest / maxBitsPerRequest
 *   and maxGap; a coalesced request the device refuses with illegal data
 *   address is split, and the split is remembered for that device
 *   (libs/modbus adaptive-read.ts). A device that does not answer stops the
 *   read at its first failure: it costs the bus one timeout, not one per request.
 * - Quirks are profile fields, not code branches: timeoutMs (capped at the
 *   poll interval, so an outage shows within a poll), retries (within one
 *   scheduled request), interRequestDelayMs, the limits, byte and word order,
 *   addressing, writeFunction (5/15, 6/16, 22).
 * - relinquish: Modbus devices keep no priority array; the controller keeps it
 *   and writes the next winner, so this rejects with 'not-supported'.
 */
import { BusRegistry, FieldbusError, runSequence, sleep, systemClock } from '#libs/fieldbus';
import type {
  BreakerOptions,
  DeviceContext,
  FieldbusDriver,
  PointReadOutcome,
  PriorityArraySnapshot,
  ReadOptions,
  RequestKind,
  SelfTestReport,
  TaskDone,
  WriteRequest,
} from '#libs/fieldbus';
import { AdaptivePlanner, recoverRefused } from '#libs/modbus';
import type { AdaptiveReadResult, CallDone, PlannedRead } from '#libs/modbus';
import type { PointDef } from '#libs/profiles';
import { classifyReadFailure, isTransient, toFieldbusError } from './modbus-errors.js';
import { busKey, ModbusLine, openModbusLink } from './modbus-line.js';
import type { LinkOpener, ModbusLink } from './modbus-line.js';
import { limitsOf } from './modbus-points.js';
import { ScanPlan } from './modbus-scan-plan.js';
import { modbusSelfTest } from './modbus-self-test.js';
import { writePoint } from './modbus-write.js';

const DEFAULT_TIMEOUT_MS = 1000;
/** Beyond the device's own timeout per attempt, before the scheduler's backstop gives up on a request. */
const BACKSTOP_SLACK_MS = 2000;

export interface ModbusDriverOptions {
  /** The controller's buses, shared with other drivers; default a registry of the driver's own. */
  buses?: BusRegistry;
  /** Opens a connection (tests inject fakes); default ModbusClient over TCP or serialport. */
  open?: LinkOpener;
  /** A device's breaker; default: backoff from its poll interval up to four intervals (at most 30 s). */
  breaker?: (device: DeviceContext) => BreakerOptions;
}

/** What the driver keeps per site device: its settings, its bus and the splits it learned. */
interface DeviceRuntime {
  key: string;
  unitId: number;
  timeoutMs: number;
  retries: number;
  delayMs: number;
  /** Per-request settings, made once: the link's timeout, and the scheduler's backstop beyond all attempts. */
  linkOptions: { timeoutMs: number };
  submitOptions: { timeoutMs: number };
  line: ModbusLine;
  planner: AdaptivePlanner;
  /** Item, address and decoder of every polled point, kept while the polled points stay the same. */
  scan?: ScanPlan;
  /** What the scheduler runs for each planned read, made once: a scan then allocates no closures per request. */
  readTasks: WeakMap<PlannedRead, (done: TaskDone) => void>;
  /** The tasks of the current plan, in its order (a new plan, after a learned split, makes new ones). */
  planTasks?: { plan: readonly PlannedRead[]; tasks: Array<(done: TaskDone) => void> };
}

export function defaultBreaker(device: DeviceContext): BreakerOptions {
  const interval = device.site.pollIntervalMs;
  return { baseMs: interval, maxMs: Math.max(interval, Math.min(30000, 4 * interval)) };
}

export class ModbusDriver implements FieldbusDriver {
  readonly protocol = 'modbus' as const;
  private readonly buses: BusRegistry;
  private readonly ownsBuses: boolean;
  private readonly open: LinkOpener;
  private readonly breakerFor: (device: DeviceContext) => BreakerOptions;
  private readonly lines = new Map<string, ModbusLine>();
  private readonly devices = new Map<string, DeviceRuntime>();

  constructor(options: ModbusDriverOptions = {}) {
    this.ownsBuses = options.buses === undefined;
    this.buses = options.buses ?? new BusRegistry({ clock: systemClock });
    this.open = options.open ?? openModbusLink;
    this.breakerFor = options.breaker ?? defaultBreaker;
  }

  async connect(device: DeviceContext): Promise<void> {
    const d = this.runtime(device);
    try {
      await d.line.withLink(() => Promise.resolve());
    } catch (err) {
      throw toFieldbusError(err);
    }
  }

  async readMany(
    device: DeviceContext,
    points: readonly PointDef[],
    options: ReadOptions = {},
  ): Promise<PointReadOutcome[]> {
    const d = this.runtime(device);
    if (!d.scan?.fits(device.profile, points)) d.scan = new ScanPlan(device.profile, points);
    const scan = d.scan;
    const result = await this.readPlan(d, scan, options.kind ?? 'poll');
    const plan = d.planner.plan(scan.items);
    const outcomes = new Array<PointReadOutcome>(points.length);
    for (const { request, data } of result.reads) scan.decodeInto(outcomes, request, data, plan);
    for (const { request, error } of result.refused) {
      const info = toFieldbusError(error).info;
      for (const i of scan.layout(request, plan).indices)
        outcomes[i] = { pointId: points[i].id, error: info };
    }
    return outcomes;
  }

  /**
   * The device's planned reads, one after another on its bus (runSequence: no
   * promise per request), stopping at the first failure of the device as a
   * whole; then each refused request recovered (its points refused, or split
   * and learned: libs/modbus adaptive-read.ts), as readAdaptively would.
   */
  private async readPlan(
    d: DeviceRuntime,
    scan: ScanPlan,
    kind: RequestKind,
  ): Promise<AdaptiveReadResult<number[] | boolean[]>> {
    const plan = d.planner.plan(scan.items);
    if (d.planTasks?.plan !== plan) d.planTasks = { plan, tasks: plan.map((req) => this.readTask(d, req)) };
    const result: AdaptiveReadResult<number[] | boolean[]> = { reads: [], refused: [], requests: 0 };
    const refusedAt: Array<{ k: number; error: unknown }> = [];
    let deviceFailure: { error: unknown } | undefined;
    await runSequence(d.line.scheduler, kind, d.key, d.planTasks.tasks, d.submitOptions, (k, ok, value) => {
      result.requests++;
      if (ok) result.reads.push({ request: plan[k], data: value as number[] | boolean[] });
      else if (classifyReadFailure(value) === 'device') deviceFailure = { error: value };
      else refusedAt.push({ k, error: value });
      return deviceFailure === undefined;
    });
    if (deviceFailure) throw deviceFailure.error;
    const readOne = (req: PlannedRead): Promise<number[] | boolean[]> =>
      d.line.scheduler.submitTask(kind, d.key, this.readTask(d, req), d.submitOptions);
    for (const { k, error } of refusedAt)
      await recoverRefused(d.planner, plan[k], error, readOne, classifyReadFailure, result);
    return result;
  }

  async write(device: DeviceContext, req: WriteRequest): Promise<void> {
    const d = this.runtime(device);
    // A packed bit's read-modify-write runs inside this one scheduled request: nothing else on the bus comes between.
    await this.request(d, 'write', (link) =>
      writePoint(link, d.unitId, device.profile, req.point, req.value, { timeoutMs: d.timeoutMs }),
    );
  }

  relinquish(_device: DeviceContext, point: PointDef, priority: number): Promise<void> {
    return Promise.reject(
      new FieldbusError(
        'not-supported',
        `cannot relinquish ${point.id} at priority ${priority}: a Modbus device keeps no priority array; ` +
          'the controller keeps it and writes the next winner',
      ),
    );
  }

  readPriorityArray(): Promise<PriorityArraySnapshot | null> {
    return Promise.resolve(null);
  }

  /** Modbus has no change notification: every point is polled. */
  subscribe(): Promise<Set<string>> {
    return Promise.resolve(new Set());
  }

  selfTest(device: DeviceContext): Promise<SelfTestReport> {
    return modbusSelfTest(this, device, limitsOf(device.profile));
  }

  /** The splits learned for a device (for diagnostics and tests): per table, addresses no request spans. */
  learnedSplits(device: DeviceContext): Record<number, readonly number[]> {
    const planner = this.runtime(device).planner;
    return Object.fromEntries(([1, 2, 3, 4] as const).map((t) => [t, planner.barriers(t)]));
  }

  async close(): Promise<void> {
    const lines = [...this.lines.values()];
    this.lines.clear();
    this.devices.clear();
    const draining = lines.map((l) => l.scheduler.close());
    await Promise.allSettled(lines.map((l) => l.close()));
    await Promise.allSettled(draining);
    if (this.ownsBuses) await this.buses.close();
  }

  /** One scheduled request: retried within its slot on transient failures, named on failure. */
  private request<T>(d: DeviceRuntime, kind: RequestKind, op: (link: ModbusLink) => Promise<T>): Promise<T> {
    return d.line.scheduler.submit(kind, d.key, this.task(d, op), d.submitOptions);
  }

  /** The scheduled read of a planned request, made once per request of the plan. */
  private readTask(d: DeviceRuntime, req: PlannedRead): (done: TaskDone) => void {
    let task = d.readTasks.get(req);
    if (!task) {
      const read = (link: ModbusLink, done: CallDone): void => readRequest(link, d, req, done);
      task = (done) => this.attemptRead(d, read, 0, done);
      d.readTasks.set(req, task);
    }
    return task;
  }

  /** Attempt `n` of a read, by callback (reads are the scan's bulk); retried like task() on transient failures. */
  private attemptRead(
    d: DeviceRuntime,
    read: (link: ModbusLink, done: CallDone) => void,
    n: number,
    done: TaskDone,
  ): void {
    d.line.withLinkThen(read, (ok, value) => {
      if (ok) return done(true, value);
      const e = toFieldbusError(value);
      if (n >= d.retries || !isTransient(e)) return done(false, e);
      void sleep(systemClock, d.delayMs).then(() => this.attemptRead(d, read, n + 1, done));
    });
  }

  /** What the scheduler runs: `op` on the line (no async frame, no extra promise on success: this runs per request). */
  private task<T>(d: DeviceRuntime, op: (link: ModbusLink) => Promise<T>): () => Promise<T> {
    const recover = (err: unknown): Promise<T> => this.retry(d, op, 0, err);
    return () => d.line.withLink(op, recover);
  }

  /** Attempt `n` failed with `err`: another attempt after the inter-request delay if transient, else the named error. */
  private retry<T>(
    d: DeviceRuntime,
    op: (link: ModbusLink) => Promise<T>,
    n: number,
    err: unknown,
  ): Promise<T> {
    const e = toFieldbusError(err);
    if (n >= d.retries || !isTransient(e)) throw e;
    return sleep(systemClock, d.delayMs).then(() =>
      d.line.withLink(op, (next: unknown) => this.retry(d, op, n + 1, next)),
    );
  }

  private runtime(device: DeviceContext): DeviceRuntime {
    const existing = this.devices.get(device.site.id);
    if (existing) return existing;
    const ep = device.site.modbus;
    const quirks = device.profile.modbus;
    if (!ep || !quirks)
      throw new FieldbusError(
        'internal',
        `device ${device.site.id} has no Modbus endpoint or profile quirks`,
      );
    const timeoutMs = Math.min(quirks.timeoutMs ?? DEFAULT_TIMEOUT_MS, device.site.pollIntervalMs);
    let line = this.lines.get(busKey(ep));
    if (!line) {
      line = new ModbusLine(ep, this.buses, this.open, timeoutMs);
      this.lines.set(busKey(ep), line);
    }
    const retries = quirks.retries ?? 0;
    const delayMs = quirks.interRequestDelayMs ?? 0;
    const d: DeviceRuntime = {
      key: device.site.id,
      unitId: ep.unitId,
      timeoutMs,
      retries,
      delayMs,
      linkOptions: { timeoutMs },
      submitOptions: { timeoutMs: (timeoutMs + BACKSTOP_SLACK_MS) * (retries + 1) + delayMs * retries },
      line,
      planner: new AdaptivePlanner(limitsOf(device.profile)),
      readTasks: new WeakMap(),
    };
    line.scheduler.configureDevice(d.key, {
      breaker: this.breakerFor(device),
      interRequestDelayMs: d.delayMs,
    });
    this.devices.set(d.key, d);
    return d;
  }
}

/** One planned read on `link`, reported to `done`. */
function readRequest(link: ModbusLink, d: DeviceRuntime, req: PlannedRead, done: CallDone): void {
  const { table, address, count } = req;
  if (table === 1 || table === 2) link.readBitsThen(d.unitId, table, address, count, d.linkOptions, done);
  else link.readRegistersThen(d.unitId, table, address, count, d.linkOptions, done);
}
