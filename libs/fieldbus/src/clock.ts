/**
 * Time as the fieldbus framework sees it: the current instant and one-shot
 * timers, injected so schedulers, breakers and retries are tested with a fake
 * clock in milliseconds of real time (CONVENTIONS.md habit 6).
 */

/** Whatever the clock's setTimeout returns; only that clock's clearTimeout understands it. */
export type TimerHandle = object | number;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Resolves after `ms` on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/** A source of numbers in [0, 1), injected so jitter is reproducible in tests. */
export type RandomSource = () => number;
