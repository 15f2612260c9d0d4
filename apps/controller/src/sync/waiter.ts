/**
 * A sleep on the injected timers that something else can cut short: the
 * upload loop waits for its backoff or for new records, and a recovered link
 * or a fresh append wakes it at once.
 */
import type { Timers } from '../commands/timers.js';

export class Waiter {
  private wake: (() => void) | undefined;
  private handle: unknown;

  constructor(private readonly timers: Timers) {}

  /** Resolves after `ms` or at the next wakeUp(), whichever is first. */
  wait(ms: number): Promise<void> {
    this.wakeUp();
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.handle = this.timers.set(() => this.wakeUp(), ms);
    });
  }

  wakeUp(): void {
    if (this.handle !== undefined) this.timers.clear(this.handle);
    this.handle = undefined;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  get waiting(): boolean {
    return this.wake !== undefined;
  }
}
