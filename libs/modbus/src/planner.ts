/**
 * The read planner: turns the points a device is polled for into as few read
 * requests as the device allows. Items of one table are sorted by address and
 * coalesced while the hole between them is at most `maxGap` registers (bits for
 * tables 1/2) and the whole request stays within the per-request limit
 * (1.1b3 §6.1–6.4: at most 2000 bits or 125 registers; devices often allow fewer).
 *
 * Reading through a gap reads registers nobody asked for; a device that answers
 * "illegal data address" for them gets barriers (adaptive-read.ts learns
 * them): no request spans across a barrier address.
 */
import type { ModbusTable } from '#libs/profiles';

export interface PlanItem {
  key: string;
  table: ModbusTable;
  /** 0-based PDU address. */
  address: number;
  /** Registers (tables 3/4) or bits (tables 1/2). */
  count: number;
}

export interface PlanLimits {
  maxRegisters: number;
  maxBits: number;
  maxGap: number;
}

export interface PlannedRead {
  table: ModbusTable;
  address: number;
  count: number;
  items: PlanItem[];
}

/** Per table, addresses no request may span across (a request may end at one or start at one). */
export type ReadBarriers = ReadonlyMap<ModbusTable, readonly number[]>;

export class ModbusPlanError extends Error {
  override readonly name = 'ModbusPlanError';
  constructor(
    message: string,
    readonly key?: string,
  ) {
    super(message);
  }
}

const TABLES: readonly ModbusTable[] = [1, 2, 3, 4];

export function limitFor(table: ModbusTable, limits: PlanLimits): number {
  return table === 1 || table === 2 ? limits.maxBits : limits.maxRegisters;
}

function checkLimits(limits: PlanLimits): void {
  for (const [name, v, min] of [
    ['maxRegisters', limits.maxRegisters, 1],
    ['maxBits', limits.maxBits, 1],
    ['maxGap', limits.maxGap, 0],
  ] as const) {
    if (!Number.isInteger(v) || v < min)
      throw new ModbusPlanError(`plan limit ${name} must be an integer >= ${min}, got ${v}`);
  }
}

function checkItem(item: PlanItem, limits: PlanLimits): void {
  const what = `plan item "${item.key}"`;
  if (!TABLES.includes(item.table))
    throw new ModbusPlanError(`${what}: table ${item.table} is not 1..4`, item.key);
  if (!Number.isInteger(item.address) || item.address < 0 || item.address > 0xffff) {
    throw new ModbusPlanError(`${what}: address ${item.address} is outside 0..65535`, item.key);
  }
  if (!Number.isInteger(item.count) || item.count < 1) {
    throw new ModbusPlanError(`${what}: count ${item.count} must be a positive integer`, item.key);
  }
  if (item.address + item.count > 0x10000) {
    throw new ModbusPlanError(
      `${what}: ${item.count} from address ${item.address} runs past 65535`,
      item.key,
    );
  }
  const limit = limitFor(item.table, limits);
  if (item.count > limit) {
    const unit = item.table <= 2 ? 'bits' : 'registers';
    throw new ModbusPlanError(
      `${what}: ${item.count} ${unit} exceed the ${limit} allowed per request`,
      item.key,
    );
  }
}

/** Whether a span [from, to) would contain registers on both sides of a barrier. */
function crossesBarrier(sorted: readonly number[] | undefined, from: number, to: number): boolean {
  if (!sorted) return false;
  for (const b of sorted) {
    if (b >= to) return false;
    if (b > from) return true;
  }
  return false;
}

/**
 * Greedy coalescing per table. Output: requests ordered by table then address;
 * each item appears in exactly one request whose span contains the item's span.
 * Greedy is optimal here: the items are sorted, and any run of consecutive
 * items that fits the limits still fits when shortened, so extending each
 * request as far as it goes never costs a request later.
 */
export function planReads(
  items: readonly PlanItem[],
  limits: PlanLimits,
  barriers: ReadBarriers = new Map(),
): PlannedRead[] {
  checkLimits(limits);
  for (const item of items) checkItem(item, limits);
  const plan: PlannedRead[] = [];
  for (const table of TABLES) {
    const limit = limitFor(table, limits);
    const walls = barriers
      .get(table)
      ?.slice()
      .sort((a, b) => a - b);
    const sorted = items
      .filter((i) => i.table === table)
      .sort((a, b) => a.address - b.address || b.count - a.count);
    let current: PlannedRead | undefined;
    for (const item of sorted) {
      const end = item.address + item.count;
      if (current) {
        const currentEnd = current.address + current.count;
        const gap = item.address - currentEnd;
        const span = Math.max(currentEnd, end) - current.address;
        const crosses = crossesBarrier(walls, current.address, Math.max(currentEnd, end));
        if (gap <= limits.maxGap && span <= limit && !crosses) {
          current.count = span;
          current.items.push(item);
          continue;
        }
      }
      current = { table, address: item.address, count: item.count, items: [item] };
      plan.push(current);
    }
  }
  return plan;
}
