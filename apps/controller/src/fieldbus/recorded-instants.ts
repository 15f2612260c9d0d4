/**
 * Which instants of one point have been recorded, so that each reading
 * (point, at) is recorded once whatever order readings arrive in (scan-engine.ts).
 *
 * Readings mostly arrive in time order (polls are stamped on answer), so the
 * common case is one comparison and one store into a ring. Pushed readings
 * wait for their flush and can arrive after newer polls of the same point:
 * those take the slow path, a scan of the ring.
 *
 * Memory is bounded: the ring holds the REMEMBERED newest instants recorded.
 * A reading older than all of them cannot be told apart from one recorded
 * long ago; it is recorded. A rare duplicate costs a row the cloud can tell
 * (same point, same instant); a dropped reading is gone for good, and a clock
 * stepped back would make every new reading look old.
 */

/** Power of two. At the fastest poll (100 ms) it covers 1.6 s, several push flushes (250 ms). */
export const REMEMBERED = 16;
const MASK = REMEMBERED - 1;

export class RecordedInstants {
  /** Oldest at `head` when full; while filling, in order from 0. */
  private ring: number[] = [];
  private head = 0;
  private newest = -Infinity;

  /** True when `at` was not recorded yet for this point; it now counts as recorded. */
  add(at: number): boolean {
    if (at > this.newest) {
      this.newest = at;
      if (this.ring.length < REMEMBERED) this.ring.push(at);
      else {
        this.ring[this.head] = at;
        this.head = (this.head + 1) & MASK;
      }
      return true;
    }
    return this.addLate(at);
  }

  /** Whether `at` is among the remembered recorded instants (not `add`: nothing changes). */
  has(at: number): boolean {
    return this.ring.includes(at);
  }

  private addLate(at: number): boolean {
    const ring = this.ring;
    const n = ring.length;
    for (let i = 0; i < n; i++) if (ring[i] === at) return false;
    // Insert in time order, in place: the ring keeps the REMEMBERED newest instants, so everything
    // recorded since the oldest of them is among them.
    if (n < REMEMBERED) {
      let i = n;
      for (; i > 0 && ring[i - 1] > at; i--) ring[i] = ring[i - 1];
      ring[i] = at;
      return true;
    }
    if (at < ring[this.head]) return true; // older than all remembered: recorded, not remembered
    // The oldest drops out; those older than `at` move down one slot (logical order from `head`).
    let i = this.head;
    for (let next = (i + 1) & MASK; ring[next] < at; next = (next + 1) & MASK) {
      ring[i] = ring[next];
      i = next;
    }
    ring[i] = at;
    return true;
  }
}
