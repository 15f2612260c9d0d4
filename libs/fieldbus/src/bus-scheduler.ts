/**
 * One scheduler per bus (an RTU serial line, a Modbus TCP endpoint, a BACnet
 * device): the framework's hold on the rhythm (CONVENTIONS.md habit 2).
 *
 * Guarantees, each pinned by bus-scheduler.spec.ts:
 * - At most `maxInFlight` requests run at once (an RTU line: exactly 1).
 * - Writes jump ahead of every queued poll; within a kind, requests start in
 *   the order they were submitted (except those of a device whose breaker
 *   holds them back, see below). A write therefore waits at most for the
 *   requests already in flight and for earlier writes.
 * - After a request, the bus stays silent for the larger of the bus's and the
 *   device's inter-request delay (slow devices, RTU turnaround).
 * - A device failure (timeout, connection, garbage: `isDeviceFailure`) opens
 *   that device's circuit breaker (breaker.ts; each device's breaker and
 *   delay are kept in bus-devices.ts): its queued and new requests
 *   fail at once with code 'breaker-open', so a dead device costs the bus one
 *   timeout, not one per request, and its neighbours wait for nothing else.
 *   When the backoff has elapsed, the device's next request goes as the one
 *   probe; the device's other requests wait for its outcome.
 * - `timeoutMs` per request is a backstop: a request whose promise never
 *   settles fails with 'timeout' and frees its slot, so no bus can hang.
 */
import type { BreakerSnapshot, CircuitBreaker } from './breaker.js';
import { BusDevices } from './bus-devices.js';
import { checkSchedulerOptions } from './bus-scheduler-types.js';
import type {
  BusSchedulerOptions,
  BusStats,
  DeviceSchedulingOptions,
  Job,
  SubmitOptions,
  TaskDone,
} from './bus-scheduler-types.js';
import { systemClock } from './clock.js';
import { DeadlineTimer } from './deadline-timer.js';
import type { Clock } from './clock.js';
import type { RequestKind } from './driver-port.js';
import { FieldbusError, errorInfo, isDeviceFailure as defaultIsDeviceFailure } from './errors.js';

export { BusSchedulerConfigError } from './bus-scheduler-types.js';
export type {
  BusSchedulerOptions,
  BusStats,
  DeviceSchedulingOptions,
  SubmitOptions,
  TaskDone,
} from './bus-scheduler-types.js';

/** Schedules the pump as a microtask (see schedulePump). */
const settledPromise = Promise.resolve();

export class BusScheduler {
  readonly name: string;
  private readonly maxInFlight: number;
  private readonly busDelayMs: number;
  private readonly clock: Clock;
  private readonly deviceFailure: (err: unknown) => boolean;
  private queues: Record<RequestKind, Job[]> = { write: [], poll: [] };
  /** Each device's breaker and delay (bus-devices.ts). */
  private readonly devices: BusDevices;
  /** Requests in flight (at most maxInFlight, a handful: an array, not a Set that rehashes as it fills and empties). */
  private readonly active: Job[] = [];
  /** Resolves close() once the last request in flight has settled. */
  private drained: (() => void) | null = null;
  /** One timer for every backstop on the bus, armed for the earliest deadline in flight (see start()). */
  private readonly backstops: DeadlineTimer;
  private inFlight = 0;
  private holdUntil = 0;
  /** Wakes the pump when the bus's silence after a request is over. */
  private readonly hold: DeadlineTimer;
  private pumpQueued = false;
  private closed = false;
  private readonly counters = {
    started: { write: 0, poll: 0 },
    succeeded: 0,
    failed: 0,
    breakerRejections: 0,
    peakInFlight: 0,
  };

  constructor(options: BusSchedulerOptions) {
    checkSchedulerOptions(options);
    this.name = options.name;
    this.maxInFlight = options.maxInFlight;
    this.busDelayMs = options.interRequestDelayMs ?? 0;
    this.clock = options.clock ?? systemClock;
    this.backstops = new DeadlineTimer(this.clock, (now) => this.sweepBackstops(now));
    this.hold = new DeadlineTimer(this.clock, () => {
      this.pump();
      return Infinity;
    });
    this.deviceFailure = options.isDeviceFailure ?? defaultIsDeviceFailure;
    this.devices = new BusDevices(this.name, this.clock, options.random ?? Math.random, options.breaker);
  }

  /** Sets a device's breaker and inter-request delay; later calls replace earlier ones. */
  configureDevice(deviceKey: string, options: DeviceSchedulingOptions): void {
    this.devices.configure(deviceKey, options);
  }

  /** Runs `run` when the bus has room for it; rejects at once with 'breaker-open' while the device's breaker is open. */
  submit<T>(
    kind: RequestKind,
    deviceKey: string,
    run: () => Promise<T>,
    options: SubmitOptions = {},
  ): Promise<T> {
    return this.enqueue(kind, deviceKey, run, undefined, options);
  }

  /**
   * submit() for a request that reports by callback: `task` gets `done` and
   * calls it once with the outcome. A driver's reads come by the hundred per
   * scan, and this spares each the promise, and its reaction, that run() and
   * the wait for it would cost.
   */
  submitTask<T>(
    kind: RequestKind,
    deviceKey: string,
    task: (done: TaskDone) => void,
    options: SubmitOptions = {},
  ): Promise<T> {
    return this.enqueue(kind, deviceKey, undefined, task, options);
  }

  /**
   * The lowest form of submit: no promise at all. `settled` hears the
   * outcome once: the task's own, or a refusal (bus closed, breaker open,
   * backstop). For callers that chain requests themselves (request-sequence.ts).
   */
  enqueueTask(
    kind: RequestKind,
    deviceKey: string,
    task: (done: TaskDone) => void,
    options: SubmitOptions,
    settled: TaskDone,
  ): void {
    const admitted = this.admit(deviceKey);
    if (admitted instanceof FieldbusError) return settled(false, admitted);
    this.queue(
      kind,
      deviceKey,
      admitted,
      undefined,
      task,
      (v) => settled(true, v),
      (e) => settled(false, e),
      options,
    );
  }

  private enqueue<T>(
    kind: RequestKind,
    deviceKey: string,
    run: (() => Promise<T>) | undefined,
    task: ((done: TaskDone) => void) | undefined,
    options: SubmitOptions,
  ): Promise<T> {
    const admitted = this.admit(deviceKey);
    if (admitted instanceof FieldbusError) return Promise.reject(admitted);
    return new Promise<T>((resolve, reject) =>
      this.queue(kind, deviceKey, admitted, run, task, resolve as (v: unknown) => void, reject, options),
    );
  }

  /** The device's breaker if a request for it may queue now, else why not (bus closed, breaker open). */
  private admit(deviceKey: string): CircuitBreaker | FieldbusError {
    if (this.closed) return new FieldbusError('connection', `bus ${this.name} is closed`);
    const breaker = this.devices.breaker(deviceKey);
    if (!breaker.isClosed) {
      const snapshot = breaker.snapshot(this.clock.now());
      if (snapshot.state === 'open') {
        this.counters.breakerRejections++;
        return this.devices.breakerOpen(deviceKey, snapshot);
      }
    }
    return breaker;
  }

  private queue(
    kind: RequestKind,
    deviceKey: string,
    breaker: CircuitBreaker,
    run: (() => Promise<unknown>) | undefined,
    task: ((done: TaskDone) => void) | undefined,
    resolve: (v: unknown) => void,
    reject: (e: unknown) => void,
    options: SubmitOptions,
  ): void {
    this.queues[kind].push({
      kind,
      deviceKey,
      breaker,
      run,
      task,
      resolve,
      reject,
      delayAfterMs: options.delayAfterMs ?? 0,
      timeoutMs: options.timeoutMs,
      probe: false,
      deadline: Infinity,
    });
    this.schedulePump();
  }

  breakerState(deviceKey: string): BreakerSnapshot {
    return this.devices.breakerState(deviceKey);
  }

  get stats(): BusStats {
    return {
      name: this.name,
      inFlight: this.inFlight,
      queued: { write: this.queues.write.length, poll: this.queues.poll.length },
      started: { ...this.counters.started },
      succeeded: this.counters.succeeded,
      failed: this.counters.failed,
      breakerRejections: this.counters.breakerRejections,
      peakInFlight: this.counters.peakInFlight,
    };
  }

  /** Refuses new requests, fails the queued ones with 'connection', and resolves when those in flight have settled. */
  async close(): Promise<void> {
    this.closed = true;
    this.hold.disarm();
    if (this.inFlight === 0) this.backstops.disarm();
    for (const kind of ['write', 'poll'] as const)
      for (const job of this.queues[kind].splice(0))
        job.reject(new FieldbusError('connection', `bus ${this.name} closed before the request was sent`));
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
  }

  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    // Submissions made in the same tick are all queued before one is chosen, so a write never loses to a poll by a microtask.
    // A promise reaction, not queueMicrotask: Node wraps each queueMicrotask in an async resource (~350 ns against
    // ~60 ns here, measured), and this runs twice per request.
    void settledPromise.then(this.pumpTask);
  }

  /** The queued pump, made once (schedulePump runs for every submit and every finish). */
  private readonly pumpTask = (): void => {
    this.pumpQueued = false;
    this.pump();
  };

  private pump(): void {
    while (!this.closed && this.inFlight < this.maxInFlight) {
      const now = this.clock.now();
      if (now < this.holdUntil) return this.hold.expect(this.holdUntil);
      const job = this.pick(now);
      if (!job) return;
      this.start(job, now);
    }
  }

  private pick(now: number): Job | undefined {
    return this.pickFrom(this.queues.write, now) ?? this.pickFrom(this.queues.poll, now);
  }

  /** The first request of `queue` its device's breaker lets go (marked if it goes as the probe); refuses on the way those it rejects. */
  private pickFrom(queue: Job[], now: number): Job | undefined {
    for (let i = 0; i < queue.length; i++) {
      const admission = queue[i].breaker.admit(now);
      if (admission === 'wait') continue;
      const job = i === 0 ? queue.shift()! : queue.splice(i, 1)[0];
      if (admission === 'reject') {
        this.counters.breakerRejections++;
        job.reject(this.devices.breakerOpen(job.deviceKey, this.breakerState(job.deviceKey)));
        i--;
        continue;
      }
      job.probe = admission === 'probe';
      return job;
    }
    return undefined;
  }

  /**
   * Starts a request. Its backstop is a deadline, not a timer of its own: one
   * timer per bus is armed for the earliest deadline in flight, and when it
   * fires it fails every request past its deadline and re-arms for the next.
   * A request that settles in time costs no timer call at all, and every
   * request still fails at exactly its own deadline.
   */
  private start(job: Job, now: number): void {
    this.inFlight++;
    if (this.inFlight > this.counters.peakInFlight) this.counters.peakInFlight = this.inFlight;
    this.counters.started[job.kind]++;
    job.deadline = job.timeoutMs === undefined ? Infinity : now + job.timeoutMs;
    this.active.push(job);
    this.backstops.expect(job.deadline);
    // A synchronous throw in `run` or `task` fails it like a rejection (no async wrapper: this runs per request).
    const { task, run } = job;
    if (task) {
      try {
        task((ok, value) => this.finish(job, ok, value));
      } catch (err) {
        this.finish(job, false, err);
      }
      return;
    }
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(run!());
    } catch (err) {
      return this.finish(job, false, err);
    }
    result.then(
      (v) => this.finish(job, true, v),
      (e: unknown) => this.finish(job, false, e),
    );
  }

  /** Settles a request once: with its outcome, or with the backstop's timeout (the later outcome is then ignored). */
  private finish(job: Job, ok: boolean, result: unknown): void {
    const at = this.active.indexOf(job);
    if (at < 0) return;
    const last = this.active.pop()!;
    if (last !== job) this.active[at] = last;
    const { probe } = job;
    this.inFlight--;
    if (this.inFlight === 0 && this.drained) {
      this.backstops.disarm();
      this.drained();
      this.drained = null;
    }
    const delay = Math.max(this.busDelayMs, this.devices.delayMs(job.deviceKey), job.delayAfterMs);
    // The clock is read only when needed (a delay, a failure): this runs per request, and reading it is not free.
    if (delay > 0) this.holdUntil = Math.max(this.holdUntil, this.clock.now() + delay);
    const breaker = job.breaker;
    if (ok) {
      this.counters.succeeded++;
      breaker.success(probe);
      job.resolve(result);
    } else {
      this.counters.failed++;
      if (this.deviceFailure(result)) {
        breaker.failure(this.clock.now(), errorInfo(result), probe);
        this.failQueued(job.deviceKey);
      } else breaker.success(probe); // the device answered, if only to refuse
      job.reject(result);
    }
    this.schedulePump();
  }

  /** Fails the requests past their deadline; the earliest deadline left, or Infinity. */
  private sweepBackstops(now: number): number {
    let next = Infinity;
    for (const job of [...this.active]) {
      if (job.deadline <= now) {
        this.finish(
          job,
          false,
          new FieldbusError(
            'timeout',
            `device ${job.deviceKey} on bus ${this.name}: no outcome after ${job.timeoutMs} ms (scheduler backstop)`,
          ),
        );
      } else if (job.deadline < next) next = job.deadline;
    }
    return next;
  }

  /** The device's breaker just opened: its queued requests fail now instead of each waiting for a timeout. */
  private failQueued(deviceKey: string): void {
    const snapshot = this.breakerState(deviceKey);
    if (snapshot.state === 'closed') return;
    for (const kind of ['write', 'poll'] as const) {
      const queue = this.queues[kind];
      const refused = queue.filter((j) => j.deviceKey === deviceKey);
      if (refused.length === 0) continue;
      this.queues[kind] = queue.filter((j) => j.deviceKey !== deviceKey);
      for (const job of refused) {
        this.counters.breakerRejections++;
        job.reject(this.devices.breakerOpen(deviceKey, snapshot));
      }
    }
  }
}
