/** Time is injected (CONVENTIONS.md habit 6): tests drive it, production reads the wall clock. */
export interface Clock {
  now(): number;
}
export const CLOCK = Symbol('CLOCK');
export const systemClock: Clock = { now: () => Date.now() };
