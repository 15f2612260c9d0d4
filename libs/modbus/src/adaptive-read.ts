/**
 * Reads that learn. The planner coalesces points across gaps, but many devices
 * answer exception 2 (illegal data address, MODBUS 1.1b3 §7) for a request
 * that touches one unmapped register, or that crosses the boundary between
 * two internal blocks. When a coalesced request is refused that way, this
 * module finds the culprit and remembers it as a barrier for the device, so
 * the failing request is never sent again and the next plan is as small as
 * the device allows.
 *
 * Finding the culprit: the request's items form clusters (items that overlap
 * cannot be read apart). Any request that spans a bad spot fails, so "the
 * first k clusters read together fail" is monotone in k, and a binary search
 * finds the smallest failing prefix in log2(clusters) requests. If that is one
 * cluster, the cluster itself is refused (its points get the exception) and
 * barriers isolate it; otherwise the bad spot lies between the last two
 * clusters of that prefix: a barrier goes there, the longest good prefix is
 * kept as read, and the rest is tried again. Every barrier learned is
 * necessary (both sides were read apart, not together), so the plan that
 * respects them stays minimal.
 */
import type { ModbusTable } from '#libs/profiles';
import { planReads } from './planner.js';
import type { PlanItem, PlanLimits, PlannedRead } from './planner.js';

/** What a failed read means: split it and learn ('split'), its points are refused ('points'), or the device is gone ('device'). */
export type ReadFailureVerdict = 'split' | 'points' | 'device';

export interface AdaptiveReadResult<T> {
  /** Successful reads; their requests together cover every item not refused. */
  reads: Array<{ request: PlannedRead; data: T }>;
  /** Requests the device refused even alone, with its answer. */
  refused: Array<{ request: PlannedRead; error: unknown }>;
  /** Requests sent, successful or not. */
  requests: number;
}

/** One device's planner: its limits plus the barriers learned from its refusals. */
export class AdaptivePlanner {
  private readonly walls = new Map<ModbusTable, number[]>();
  private cache: { items: readonly PlanItem[]; plan: PlannedRead[] } | undefined;

  constructor(readonly limits: PlanLimits) {}

  /**
   * The plan for `items`, the same array object while neither the items array
   * nor the barriers change. A plan is only reused for the very array it was
   * made from: its requests hold that array's items, and callers map results
   * back through them (two callers with equal but distinct arrays, such as a
   * scan and a write's read-back, must never share one).
   */
  plan(items: readonly PlanItem[]): PlannedRead[] {
    if (this.cache?.items !== items) this.cache = { items, plan: planReads(items, this.limits, this.walls) };
    return this.cache.plan;
  }

  /** Learns that no request of `table` may span across `address`; false when already known. */
  addBarrier(table: ModbusTable, address: number): boolean {
    const list = this.walls.get(table) ?? [];
    if (list.includes(address)) return false;
    list.push(address);
    list.sort((a, b) => a - b);
    this.walls.set(table, list);
    this.cache = undefined;
    return true;
  }

  barriers(table: ModbusTable): readonly number[] {
    return this.walls.get(table) ?? [];
  }
}

interface Cluster {
  start: number;
  end: number;
  items: PlanItem[];
}

/** Groups a request's items into runs that can be read apart: a new cluster starts where no earlier item reaches. */
export function clustersOf(items: readonly PlanItem[]): Cluster[] {
  const sorted = [...items].sort((a, b) => a.address - b.address || b.count - a.count);
  const clusters: Cluster[] = [];
  for (const item of sorted) {
    const last = clusters[clusters.length - 1];
    if (last && item.address < last.end) {
      last.items.push(item);
      last.end = Math.max(last.end, item.address + item.count);
    } else clusters.push({ start: item.address, end: item.address + item.count, items: [item] });
  }
  return clusters;
}

function requestOf(table: ModbusTable, clusters: readonly Cluster[]): PlannedRead {
  const start = clusters[0].start;
  const end = Math.max(...clusters.map((c) => c.end));
  return { table, address: start, count: end - start, items: clusters.flatMap((c) => c.items) };
}

/**
 * Reads `items` with as few requests as the planner allows, splitting and
 * learning where the device refuses a coalesced request. Rejects with the
 * device's error as soon as `classify` says 'device' (the rest is not sent).
 */
export async function readAdaptively<T>(
  planner: AdaptivePlanner,
  items: readonly PlanItem[],
  read: (request: PlannedRead) => Promise<T>,
  classify: (error: unknown) => ReadFailureVerdict,
): Promise<AdaptiveReadResult<T>> {
  const result: AdaptiveReadResult<T> = { reads: [], refused: [], requests: 0 };
  for (const request of planner.plan(items)) {
    // The planned requests read straight (this loop runs per request of every scan); attempts are for splits.
    result.requests++;
    let data: T;
    try {
      data = await read(request);
    } catch (error) {
      if (classify(error) === 'device') throw error;
      await recoverRefused(planner, request, error, read, classify, result);
      continue;
    }
    result.reads.push({ request, data });
  }
  return result;
}

/**
 * A planned request the device refused, though it answered (`classify` did
 * not say 'device'): its points are refused ('points'), or it is split until
 * what reads is read and each bad spot is learned as a barrier ('split').
 * Adds its reads, refusals and requests to `result`; rejects with the
 * device's error should the device stop answering meanwhile. For callers that
 * send the planned requests themselves (readAdaptively does it in turn).
 */
export async function recoverRefused<T>(
  planner: AdaptivePlanner,
  request: PlannedRead,
  error: unknown,
  read: (request: PlannedRead) => Promise<T>,
  classify: (error: unknown) => ReadFailureVerdict,
  result: AdaptiveReadResult<T>,
): Promise<void> {
  if (classify(error) === 'points') {
    result.refused.push({ request, error });
    return;
  }
  const attempt = async (r: PlannedRead): Promise<{ ok: true; data: T } | { ok: false; error: unknown }> => {
    result.requests++;
    try {
      return { ok: true, data: await read(r) };
    } catch (e) {
      if (classify(e) === 'device') throw e;
      return { ok: false, error: e };
    }
  };
  const table = request.table;
  let remaining = clustersOf(request.items);
  let failure: unknown = error; // set while `remaining` is known to fail as a whole
  while (remaining.length > 0) {
    if (failure === undefined) {
      const whole = await attempt(requestOf(table, remaining));
      if (whole.ok) {
        result.reads.push({ request: requestOf(table, remaining), data: whole.data });
        return;
      }
      failure = whole.error;
    }
    // Smallest failing prefix, by binary search; prefix(remaining.length) is known to fail.
    let lo = 1;
    let hi = remaining.length;
    let good: { k: number; data: T } | undefined;
    let smallestFailure = failure;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const probe = await attempt(requestOf(table, remaining.slice(0, mid)));
      if (probe.ok) {
        good = { k: mid, data: probe.data };
        lo = mid + 1;
      } else {
        smallestFailure = probe.error;
        hi = mid;
      }
    }
    if (lo === 1) {
      // The first cluster is refused even alone: isolate it so it never spoils a neighbour's request.
      const bad = remaining[0];
      result.refused.push({ request: requestOf(table, [bad]), error: smallestFailure });
      planner.addBarrier(table, bad.start);
      planner.addBarrier(table, bad.end);
      remaining = remaining.slice(1);
    } else {
      const kept = remaining.slice(0, lo - 1);
      result.reads.push({ request: requestOf(table, kept), data: good!.data });
      planner.addBarrier(table, remaining[lo - 1].start);
      remaining = remaining.slice(lo - 1);
    }
    failure = undefined;
  }
}
