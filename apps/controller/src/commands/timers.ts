/** Timers are injected like the clock (CONVENTIONS.md habit 6), so expiries are tested without waiting. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}
export const TIMERS = Symbol('TIMERS');
export const systemTimers: Timers = {
  set: (fn, ms) => {
    const t = setTimeout(fn, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    t.unref();
    return t;
  },
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
