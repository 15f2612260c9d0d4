/**
 * At most one pending timer per key (a point's next expiry, its next gate
 * step, its next fallback retry) over the injected Timers: setting a key
 * replaces its timer, and after `close()` nothing is set any more.
 */
import type { Timers } from './timers.js';

export class KeyedTimers {
  private readonly handles = new Map<string, unknown>();
  private closed = false;

  constructor(
    private readonly timers: Timers,
    private readonly now: () => number,
  ) {}

  /** Calls `fn` at epoch ms `at` (at once if it has passed), replacing the key's pending timer. */
  set(key: string, at: number, fn: () => void): void {
    this.clear(key);
    if (this.closed) return;
    const handle = this.timers.set(() => {
      this.handles.delete(key);
      fn();
    }, at - this.now());
    this.handles.set(key, handle);
  }

  clear(key: string): void {
    const old = this.handles.get(key);
    if (old !== undefined) this.timers.clear(old);
    this.handles.delete(key);
  }

  close(): void {
    this.closed = true;
    for (const handle of this.handles.values()) this.timers.clear(handle);
    this.handles.clear();
  }
}
