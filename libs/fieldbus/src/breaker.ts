/**
 * A per-device circuit breaker with exponential backoff (the classic
 * closed / open / half-open machine). After a device failure the breaker
 * opens: requests for that device fail at once with code 'breaker-open'
 * instead of each costing a timeout on a shared bus. When the backoff has
 * elapsed one request is let through as a probe (half-open); its success
 * closes the breaker, its failure reopens it with twice the backoff, up to
 * `maxMs`. Jitter (a fraction of the backoff, drawn from an injected random
 * source) keeps devices that died together from probing in lockstep.
 */
import type { RandomSource } from './clock.js';
import type { FieldbusErrorInfo } from './driver-port.js';

export interface BreakerOptions {
  /** Backoff after the first failure. */
  baseMs: number;
  /** Backoff never grows beyond this. */
  maxMs: number;
  /** Fraction of the backoff removed at random, 0..1; default 0.2 (backoff × [0.8, 1.0]). */
  jitter?: number;
}

export type BreakerPhase = 'closed' | 'open' | 'half-open';

export interface BreakerSnapshot {
  state: BreakerPhase;
  /** Consecutive failed attempts (the first failure and every failed probe). */
  failures: number;
  /** When the next probe may go (open), or null. */
  retryAt: number | null;
  lastError: FieldbusErrorInfo | null;
}

/** What the scheduler may do with a request for this device now. */
export type Admission = 'go' | 'probe' | 'wait' | 'reject';

export class BreakerConfigError extends Error {
  override readonly name = 'BreakerConfigError';
}

function checkBreakerOptions(o: BreakerOptions): void {
  if (!(Number.isFinite(o.baseMs) && o.baseMs > 0 && Number.isFinite(o.maxMs) && o.maxMs >= o.baseMs))
    throw new BreakerConfigError(`breaker needs 0 < baseMs <= maxMs, got ${o.baseMs} and ${o.maxMs}`);
  const j = o.jitter ?? 0.2;
  if (!(j >= 0 && j <= 1)) throw new BreakerConfigError(`breaker jitter must be within 0..1, got ${j}`);
}

export class CircuitBreaker {
  private failures = 0;
  private retryAt = 0;
  private probing = false;
  private lastError: FieldbusErrorInfo | null = null;

  constructor(
    private options: BreakerOptions,
    private readonly random: RandomSource,
  ) {
    checkBreakerOptions(options);
  }

  reconfigure(options: BreakerOptions): void {
    checkBreakerOptions(options);
    this.options = options;
  }

  /** Backoff before jitter after `failures` consecutive failures: base × 2^(failures−1), capped at max. */
  backoffMs(failures: number): number {
    if (failures <= 0) return 0;
    return Math.min(this.options.maxMs, this.options.baseMs * 2 ** Math.min(failures - 1, 52));
  }

  /** True while the device has not failed: every request goes, and nothing else needs computing. */
  get isClosed(): boolean {
    return this.failures === 0;
  }

  admit(now: number): Admission {
    if (this.failures === 0) return 'go';
    if (this.probing) return 'wait';
    if (now < this.retryAt) return 'reject';
    this.probing = true;
    return 'probe';
  }

  /** The device answered. Only a probe (or a request while closed) counts: stale successes do not close an open breaker. */
  success(wasProbe: boolean): void {
    if (wasProbe || this.failures === 0) {
      this.failures = 0;
      this.probing = false;
      this.lastError = null;
    }
  }

  /** The device did not answer. Opens the breaker (closed), or reopens it with a longer backoff (failed probe). */
  failure(now: number, error: FieldbusErrorInfo, wasProbe: boolean): void {
    if (this.failures > 0 && !wasProbe) return; // already open: requests that were in flight add nothing
    this.failures++;
    this.probing = false;
    this.lastError = error;
    const jitter = this.options.jitter ?? 0.2;
    const r = Math.min(Math.max(this.random(), 0), 1);
    this.retryAt = now + this.backoffMs(this.failures) * (1 - jitter * r);
  }

  /** A probe that ended neither way (the bus was closed): let another one go. */
  abandonProbe(): void {
    this.probing = false;
  }

  snapshot(now: number): BreakerSnapshot {
    if (this.failures === 0) return { state: 'closed', failures: 0, retryAt: null, lastError: null };
    const open = !this.probing && now < this.retryAt;
    return {
      state: open ? 'open' : 'half-open',
      failures: this.failures,
      retryAt: open ? this.retryAt : null,
      lastError: this.lastError,
    };
  }
}
