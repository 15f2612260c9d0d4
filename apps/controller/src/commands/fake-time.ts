/**
 * FakeTime: one fake clock for the command path's tests, serving as the
 * controller's Clock, its Timers and libs/link's LinkClock at once, so the
 * link monitor, the expiry and gate timers and the schedule runner all run on
 * the same time. It stands still until `advance`, which fires every due timer
 * at its due time, in time order (then in the order they were set), and lets
 * the promises each one starts settle before the next.
 */
import type { LinkClock, LinkTimerHandle } from '#libs/link';
import type { Clock } from '../common/clock.js';
import type { Timers } from './timers.js';

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

export class FakeTime implements Clock, Timers, LinkClock {
  private time: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(start: number | string = 1_000_000) {
    this.time = typeof start === 'string' ? Date.parse(start) : start;
  }

  now(): number {
    return this.time;
  }

  set(fn: () => void, ms: number): unknown {
    const timer = { id: ++this.seq, at: this.time + Math.max(0, ms), fn };
    this.pending.push(timer);
    return { id: timer.id };
  }

  clear(handle: unknown): void {
    const id = (handle as { id?: number } | undefined)?.id;
    this.pending = this.pending.filter((t) => t.id !== id);
  }

  setTimeout(fn: () => void, ms: number): LinkTimerHandle {
    return this.set(fn, ms) as LinkTimerHandle;
  }

  clearTimeout(handle: LinkTimerHandle): void {
    this.clear(handle);
  }

  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.time + ms);
  }

  async advanceTo(target: number | string): Promise<void> {
    const end = typeof target === 'string' ? Date.parse(target) : target;
    if (end < this.time) throw new RangeError(`FakeTime cannot go back from ${this.time} to ${end}`);
    await settle();
    for (;;) {
      const next = this.pending.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (next === undefined) break;
      this.pending = this.pending.filter((t) => t !== next);
      this.time = next.at;
      next.fn();
      await settle();
    }
    this.time = end;
    await settle();
  }

  /** The due times of the timers not yet fired or cleared (epoch ms, ascending). */
  dueTimes(): number[] {
    return this.pending.map((t) => t.at).sort((a, b) => a - b);
  }
}

/** Lets chains of already-resolved promises and immediates run (fake devices answer at once). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r));
}
