/**
 * A replacement for the library's RequestManager (dist/lib/request-manager.js),
 * the table that matches answers to pending confirmed requests by invoke id.
 *
 * Why (STACK.md trap 1): the library's table keeps answered requests in its
 * time-ordered list until they expire, and on expiry deletes the map entry *by
 * invoke id* — which by then may belong to a newer request reusing that id.
 * The newer request is then never settled, not even by the library's timeout.
 * Here each request owns its own timer and only ever removes itself, compared
 * by identity. Same three calls as the library's: add, resolve, clear.
 */

interface Pending {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class RequestTable {
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly timeoutMs: number) {}

  /** Registers a request sent with `invokeId`; a previous one still holding that id is failed, not orphaned. */
  add(invokeId: number): Promise<unknown> {
    this.pending.get(invokeId)?.reject(new Error('ERR_TIMEOUT'));
    return new Promise((resolve, reject) => {
      const entry: Pending = {
        resolve: (v) => {
          clearTimeout(entry.timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(entry.timer);
          if (this.pending.get(invokeId) === entry) this.pending.delete(invokeId);
          reject(e);
        },
        timer: setTimeout(() => entry.reject(new Error('ERR_TIMEOUT')), this.timeoutMs),
      };
      this.pending.set(invokeId, entry);
    });
  }

  /** Settles the request waiting on `invokeId` with an answer or an error; false when none waits. */
  resolve(invokeId: number, err: Error | null, result?: unknown): boolean {
    const entry = this.pending.get(invokeId);
    if (!entry) return false;
    this.pending.delete(invokeId);
    if (err) entry.reject(err);
    else entry.resolve(result);
    return true;
  }

  /** With force (the library calls this on close): fails everything pending. Expiry is per request otherwise. */
  clear(force?: boolean): void {
    if (!force) return;
    for (const entry of [...this.pending.values()]) entry.reject(new Error('ERR_TIMEOUT'));
    this.pending.clear();
  }

  get size(): number {
    return this.pending.size;
  }
}
