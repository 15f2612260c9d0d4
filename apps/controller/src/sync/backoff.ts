/**
 * Retry delays after a failed exchange: exponential with full jitter (a
 * uniformly random delay between 0 and min(cap, base·2^attempt)), so a fleet
 * of controllers coming back after a cloud outage does not knock it over again
 * in lock-step.
 */
export const BACKOFF_BASE_MS = 250;
export const BACKOFF_CAP_MS = 30_000;

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  /** Uniform in [0, 1); injected for tests. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? BACKOFF_BASE_MS;
    this.capMs = options.capMs ?? BACKOFF_CAP_MS;
    this.random = options.random ?? Math.random;
  }

  /** The ceiling of the next delay: min(cap, base·2^attempt). */
  get ceilingMs(): number {
    // 2 ** 40 already exceeds any cap; stop growing so the number stays finite.
    return Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 40));
  }

  /** The delay before the next retry; each call widens the window for the one after. */
  next(): number {
    const delay = Math.floor(this.random() * this.ceilingMs);
    this.attempt++;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}
