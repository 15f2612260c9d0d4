/**
 * Time for the link monitor, injected (CONVENTIONS.md habit 6): the real clock
 * for the controller, FakeClock for tests, which moves only when told and fires
 * each timer at exactly its due time. LinkClock is libs/fieldbus's Clock under
 * the name this library has always exported, so the controller hands one clock
 * to both; the fakes stay apart because this one advances synchronously (the
 * link monitor starts no promises) and libs/fieldbus's lets promises settle.
 */
import type { Clock, TimerHandle } from '#libs/fieldbus';

/** Whatever the clock's setTimeout returns; only that clock's clearTimeout understands it. */
export type LinkTimerHandle = TimerHandle;

/** now() in epoch ms; setTimeout calls `fn` once, `ms` from now. */
export type LinkClock = Clock;

/** Date.now and setTimeout; timers are unref'd so a pending deadline never keeps a process alive. */
export const systemLinkClock: LinkClock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, Math.max(0, ms));
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A clock that stands still until `advance`, synchronously (the link monitor
 * starts no promises); timers due at the same time fire in the order they were set.
 */
export class FakeClock implements LinkClock {
  private time: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): LinkTimerHandle {
    const timer = { id: ++this.seq, at: this.time + Math.max(0, ms), fn };
    this.timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: LinkTimerHandle): void {
    const id = (handle as { id?: number }).id;
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Moves time forward by `ms`, firing every timer due on the way (also those set by timers) at its due time. */
  advance(ms: number): void {
    this.advanceTo(this.time + ms);
  }

  advanceTo(target: number): void {
    if (target < this.time) throw new RangeError(`FakeClock cannot go back from ${this.time} to ${target}`);
    for (;;) {
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.fn();
    }
    this.time = target;
  }

  /** Timers not yet fired or cleared. */
  pendingTimers(): number {
    return this.timers.length;
  }
}
