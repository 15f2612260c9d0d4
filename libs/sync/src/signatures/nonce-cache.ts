/**
 * Replay protection: every nonce a verified signature used is remembered until
 * that signature could no longer pass the time check (its expires plus the
 * clock skew), so a replay inside the window is refused and the cache never
 * grows past one window of traffic. Cloud replicas behind a load balancer need
 * one shared store (a table keyed on key id and nonce); InMemoryNonceCache is
 * for one process, the demo and tests.
 */

export interface NonceCache {
  /**
   * Records `nonce` for `keyId` until `untilMs` (epoch ms, inclusive). False when
   * that pair is already recorded and not yet past its own `untilMs`.
   */
  remember(keyId: string, nonce: string, untilMs: number): boolean | Promise<boolean>;
}

interface HeapEntry {
  readonly until: number;
  readonly key: string;
}

export class InMemoryNonceCache implements NonceCache {
  private readonly seen = new Map<string, number>();
  // Min-heap on `until`: expiry pops only what is due, O(log n) per nonce.
  private readonly heap: HeapEntry[] = [];

  constructor(private readonly now: () => number) {}

  get size(): number {
    return this.seen.size;
  }

  remember(keyId: string, nonce: string, untilMs: number): boolean {
    this.expire(this.now());
    // Key ids and nonces are RFC 8941 strings (printable ASCII), so NUL cannot occur in either.
    const key = `${keyId}\u0000${nonce}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, untilMs);
    this.push({ until: untilMs, key });
    return true;
  }

  private expire(now: number): void {
    while (this.heap.length > 0 && this.heap[0].until < now) {
      const entry = this.pop();
      if (this.seen.get(entry.key) === entry.until) this.seen.delete(entry.key);
    }
  }

  private push(entry: HeapEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let child = heap.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (heap[parent].until <= heap[child].until) break;
      [heap[parent], heap[child]] = [heap[child], heap[parent]];
      child = parent;
    }
  }

  private pop(): HeapEntry {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let parent = 0;
      for (;;) {
        const left = 2 * parent + 1;
        const right = left + 1;
        let smallest = parent;
        if (left < heap.length && heap[left].until < heap[smallest].until) smallest = left;
        if (right < heap.length && heap[right].until < heap[smallest].until) smallest = right;
        if (smallest === parent) break;
        [heap[parent], heap[smallest]] = [heap[smallest], heap[parent]];
        parent = smallest;
      }
    }
    return top;
  }
}
