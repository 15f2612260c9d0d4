/**
 * Poll planning: which items (a device's points that share an interval, say)
 * are due when. Each item keeps its own interval. Starts are staggered so a
 * bus is not hit in bursts: the items of one interval are spread evenly
 * across that interval (at most `maxStaggerMs`), and each interval class is
 * shifted by a fraction of a slot against the others. An item keeps its
 * phase: a late tick or an overrun skips the missed slots instead of firing
 * them all at once.
 */
import type { SiteDevice } from '#libs/profiles';

export interface PollItem {
  key: string;
  intervalMs: number;
}

export interface PollPlanOptions {
  /** Spread first reads over at most this long (default: the item's interval). */
  maxStaggerMs?: number;
}

export class PollPlanError extends Error {
  override readonly name = 'PollPlanError';
}

/** Offset of each item's first read after the start. */
export function staggerOffsets(
  items: readonly PollItem[],
  options: PollPlanOptions = {},
): Map<string, number> {
  const classes = new Map<number, string[]>();
  for (const item of items) {
    if (!(Number.isFinite(item.intervalMs) && item.intervalMs > 0))
      throw new PollPlanError(`poll item "${item.key}": interval ${item.intervalMs} ms must be > 0`);
    const keys = classes.get(item.intervalMs) ?? [];
    keys.push(item.key);
    classes.set(item.intervalMs, keys);
  }
  const offsets = new Map<string, number>();
  let c = 0;
  for (const [interval, keys] of classes) {
    const window = Math.min(interval, options.maxStaggerMs ?? interval);
    const phase = c++ / classes.size;
    keys.forEach((key, j) => offsets.set(key, Math.floor(((j + phase) * window) / keys.length)));
  }
  return offsets;
}

export class PollPlan {
  private readonly entries = new Map<string, { intervalMs: number; next: number }>();

  constructor(items: readonly PollItem[], startAt: number, options: PollPlanOptions = {}) {
    const offsets = staggerOffsets(items, options);
    for (const item of items) {
      if (this.entries.has(item.key)) throw new PollPlanError(`poll item "${item.key}" appears twice`);
      this.entries.set(item.key, { intervalMs: item.intervalMs, next: startAt + offsets.get(item.key)! });
    }
  }

  /** When the item is next due, or undefined for an unknown key. */
  nextDue(key: string): number | undefined {
    return this.entries.get(key)?.next;
  }

  /** The earliest time any item is due; Infinity when the plan is empty. */
  nextAt(): number {
    let at = Infinity;
    for (const e of this.entries.values()) at = Math.min(at, e.next);
    return at;
  }

  /**
   * The items due at `now` (earliest first), each moved on to its first slot
   * after `now`: missed slots are skipped, the phase is kept.
   */
  due(now: number): string[] {
    const due: Array<{ key: string; at: number }> = [];
    for (const [key, e] of this.entries) {
      if (e.next > now) continue;
      due.push({ key, at: e.next });
      e.next += e.intervalMs * (Math.floor((now - e.next) / e.intervalMs) + 1);
    }
    return due.sort((a, b) => a.at - b.at).map((d) => d.key);
  }
}

/** A point's poll interval: the site's per-point override, else the device's. */
export function pointIntervalMs(device: SiteDevice, pointId: string): number {
  return device.pointPollIntervalMs?.[pointId] ?? device.pollIntervalMs;
}
