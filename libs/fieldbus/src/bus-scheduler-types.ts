/**
 * What a bus scheduler (bus-scheduler.ts) is configured with (and the check
 * of it), what it takes per request, and what it reports: its options, a
 * queued request, its statistics.
 */
import type { BreakerOptions, CircuitBreaker } from './breaker.js';
import type { Clock, RandomSource } from './clock.js';
import type { RequestKind } from './driver-port.js';

export interface BusSchedulerOptions {
  name: string;
  /** Requests in flight at once: 1 on a serial line, a configurable few on a TCP device. */
  maxInFlight: number;
  /** Silence after every request on this bus, ms; default 0. */
  interRequestDelayMs?: number;
  /** Default breaker of the bus's devices; default base 1000 ms, max 30000 ms. */
  breaker?: BreakerOptions;
  clock?: Clock;
  /** Jitter source for the breakers; default Math.random. */
  random?: RandomSource;
  /** Which errors mean "the device did not answer"; default: FieldbusError timeout, connection, bad-response. */
  isDeviceFailure?: (err: unknown) => boolean;
}

/** Per-device settings on a shared bus (profile quirks, the site's poll interval). */
export interface DeviceSchedulingOptions {
  breaker?: BreakerOptions;
  interRequestDelayMs?: number;
}

export interface SubmitOptions {
  /** Silence after this request before the next starts; the larger of this, the device's and the bus's delay applies. */
  delayAfterMs?: number;
  /** Backstop: if `run` has not settled after this long, the request fails with 'timeout' and frees its slot. */
  timeoutMs?: number;
}

export interface BusStats {
  name: string;
  inFlight: number;
  queued: Record<RequestKind, number>;
  started: Record<RequestKind, number>;
  succeeded: number;
  failed: number;
  /** Requests refused at once because their device's breaker was open. */
  breakerRejections: number;
  /** The most requests ever in flight at once. */
  peakInFlight: number;
}

/** A request on the bus: queued, then in flight. */
export interface Job {
  kind: RequestKind;
  deviceKey: string;
  /** The device's breaker, looked up once at submit (a device keeps its breaker; configureDevice reconfigures it). */
  breaker: CircuitBreaker;
  /** What the request does: a promise (submit), or a task that calls back (submitTask). */
  run: (() => Promise<unknown>) | undefined;
  task: ((done: TaskDone) => void) | undefined;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  delayAfterMs: number;
  timeoutMs?: number;
  /** Set when it starts: whether it is its device's probe, and when the backstop fails it. */
  probe: boolean;
  deadline: number;
}

/** How a request started with submitTask reports its outcome: once, with ok and its value or error. */
export type TaskDone = (ok: boolean, value: unknown) => void;

export class BusSchedulerConfigError extends Error {
  override readonly name = 'BusSchedulerConfigError';
}

export function checkSchedulerOptions(options: BusSchedulerOptions): void {
  if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1)
    throw new BusSchedulerConfigError(
      `bus ${options.name}: maxInFlight must be an integer >= 1, got ${options.maxInFlight}`,
    );
  const delay = options.interRequestDelayMs ?? 0;
  if (!(Number.isFinite(delay) && delay >= 0))
    throw new BusSchedulerConfigError(`bus ${options.name}: interRequestDelayMs must be >= 0, got ${delay}`);
}
