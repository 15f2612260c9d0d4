/**
 * The guards STACK.md trap 1 asks for around every confirmed request:
 * - InvokeIdPool hands out invoke ids itself, never one still in flight, and
 *   keeps an id whose request timed out unused for a while, so a late answer
 *   cannot settle a newer request. (The library's own 8-bit counter wraps onto
 *   ids still pending; its request table then drops one and that promise never
 *   settles.)
 * - PerKeyLimiter bounds the requests in flight per device and queues the rest.
 * - raceTimeout settles every call by our own timer, whatever the library does.
 */

/** Invoke ids 1..255 (0 is skipped: the library treats a 0 option as "pick one yourself"). */
export class InvokeIdPool {
  private readonly busy = new Set<number>();
  private next = 1;
  private readonly waiting: ((id: number) => void)[] = [];

  acquire(): Promise<number> {
    const id = this.take();
    if (id !== undefined) return Promise.resolve(id);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Frees `id` now, or after `afterMs` (a quarantine for ids whose answer may still arrive). */
  release(id: number, afterMs = 0): void {
    const free = (): void => {
      const waiter = this.waiting.shift();
      if (waiter) waiter(id);
      else this.busy.delete(id);
    };
    if (afterMs > 0) setTimeout(free, afterMs).unref();
    else free();
  }

  get inUse(): number {
    return this.busy.size;
  }

  /** Round-robin: the id used longest ago comes next, which maximises the time before reuse. */
  private take(): number | undefined {
    for (let i = 0; i < 255; i++) {
      const id = this.next;
      this.next = this.next === 255 ? 1 : this.next + 1;
      if (!this.busy.has(id)) {
        this.busy.add(id);
        return id;
      }
    }
    return undefined;
  }
}

/** At most `limit` tasks per key at once; the rest wait in arrival order. */
export class PerKeyLimiter {
  private readonly slots = new Map<string, { active: number; queue: (() => void)[] }>();
  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`maxInFlightPerDevice must be ≥ 1, got ${limit}`);
  }

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let s = this.slots.get(key);
    if (!s) {
      s = { active: 0, queue: [] };
      this.slots.set(key, s);
    }
    if (s.active >= this.limit) {
      const slot = s;
      await new Promise<void>((resolve) => slot.queue.push(resolve));
    }
    s.active++;
    try {
      return await task();
    } finally {
      s.active--;
      const next = s.queue.shift();
      if (next) next();
      else if (s.active === 0) this.slots.delete(key);
    }
  }

  /** Requests waiting (not yet sent) for `key`. */
  queued(key: string): number {
    return this.slots.get(key)?.queue.length ?? 0;
  }
}

export class TimeoutSignal extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms`);
  }
}

/** Settles with `p`, or rejects with TimeoutSignal after `ms` — whichever comes first. */
export function raceTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutSignal(ms)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        // Any error object passes as is (instanceof Error fails for errors from another realm, e.g. Node's own under a VM).
        reject(typeof e === 'object' && e !== null ? (e as Error) : new Error(String(e)));
      },
    );
  });
}
