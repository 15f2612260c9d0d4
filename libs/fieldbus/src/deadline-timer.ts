/**
 * One timer for many deadlines: armed for the earliest one, it calls `due`
 * when that time comes; `due` handles whatever is past due and names the next
 * deadline (or Infinity), for which the timer is armed again. A bus scheduler
 * keeps one for every backstop of its requests in flight, so a request that
 * settles in time costs no timer call at all.
 */
import type { Clock, TimerHandle } from './clock.js';

export class DeadlineTimer {
  private timer: TimerHandle | null = null;
  /** The deadline the timer is armed for; Infinity while it is not armed. */
  private at = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly due: (now: number) => number,
  ) {}

  /** Makes sure the timer fires no later than `deadline`. */
  expect(deadline: number): void {
    if (deadline < this.at) this.arm(deadline);
  }

  disarm(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.at = Infinity;
  }

  private arm(at: number): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.at = at;
    this.timer = this.clock.setTimeout(() => this.fire(), at - this.clock.now());
  }

  private fire(): void {
    this.timer = null;
    this.at = Infinity;
    const next = this.due(this.clock.now());
    if (next < Infinity) this.expect(next);
  }
}
