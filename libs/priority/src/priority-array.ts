/**
 * The 16-level priority array of one writable point, with BACnet's meaning
 * (ASHRAE 135 §19.2): the lowest-numbered slot that holds a command wins; with
 * every slot empty the point takes its relinquish default (the profile's
 * failSafe). Values are immutable: every operation returns a new array and a
 * refused operation throws before anything changes, so the controller can
 * persist the result and emit its events in one transaction.
 *
 * Time is injected: every `now`, `at` and `expiresAt` is an instant in epoch
 * milliseconds. A slot with `expiresAt` is in force while now < expiresAt and
 * has ended from expiresAt on. `effective()` never counts an ended slot, even
 * before `expire()` has removed it; `expire()` is the one place that reports
 * ends, so each expiry is reported exactly once.
 *
 * Fallback schedules (slot 12) are stored whenever they are commanded and are
 * only counted by `effective()` while the caller says the controller is
 * AUTONOMOUS (`ctx.autonomous`). A change of link state therefore needs no
 * write to the array, only a new evaluation.
 */
import {
  InvalidCommandError,
  InvalidPriorityError,
  LeaseExpiredError,
  LeaseNotAllowedError,
  LeaseNotFoundError,
  LeaseRequiredError,
  LeaseTooLongError,
  SlotNotOwnedError,
} from './errors.js';
import type { CommandSource } from './sources.js';
import {
  DEFAULT_MAX_LEASE_MS,
  FALLBACK_PRIORITY,
  isCommandSource,
  isPriority,
  ownsSlot,
  PRIORITY_LEVELS,
} from './sources.js';

export interface Slot {
  readonly value: number;
  readonly source: CommandSource;
  /** When the command was given; a renewal keeps it and moves only expiresAt. */
  readonly at: number;
  /** Instant from which the command no longer counts. Cloud commands always have one. */
  readonly expiresAt?: number;
  /** Cloud commands only: the lease a renewal must name. */
  readonly leaseId?: string;
}

export interface PriorityArray {
  readonly pointId: string;
  /** Index 0 is priority 1; null is an empty (relinquished) slot. Always 16 entries. */
  readonly slots: readonly (Slot | null)[];
  /** Counter for generated lease ids, persisted so ids stay unique across restarts. */
  readonly leaseSeq: number;
}

export interface CommandInput {
  priority: number;
  value: number;
  source: CommandSource;
  now: number;
  /** Optional end of a non-cloud command (an operator override's expiry). Must be after now. */
  expiresAt?: number;
  /** Cloud only, required: lease length; the command ends at now + leaseMs unless renewed. */
  leaseMs?: number;
  /** Cloud only, optional: the cloud's own id for the lease; generated when absent. */
  leaseId?: string;
}

export interface RenewInput {
  priority: number;
  source: CommandSource;
  leaseId: string;
  leaseMs: number;
  now: number;
}

export interface PriorityPolicy {
  /** Longest lease a cloud command or renewal may ask for. Default 15 minutes. */
  maxLeaseMs: number;
}

export interface EvaluationContext {
  now: number;
  /** The controller's link state is AUTONOMOUS: fallback schedules (slot 12) count. */
  autonomous: boolean;
  /** The value with no command in force: the profile's failSafe. */
  relinquishDefault: number;
}

export interface Effective {
  value: number;
  /** Winning slot, or null when the relinquish default applies. */
  priority: number | null;
  source: CommandSource | 'relinquish-default';
  at?: number;
  expiresAt?: number;
  leaseId?: string;
}

export interface ExpiredSlot extends Slot {
  readonly priority: number;
  readonly expiresAt: number;
}

export interface ExpireResult {
  array: PriorityArray;
  expired: ExpiredSlot[];
}

export function createPriorityArray(pointId: string): PriorityArray {
  return freezeArray({ pointId, slots: new Array<Slot | null>(PRIORITY_LEVELS).fill(null), leaseSeq: 0 });
}

export function slotAt(array: PriorityArray, priority: number): Slot | null {
  if (!isPriority(priority)) throw new InvalidPriorityError(array.pointId, priority);
  return array.slots[priority - 1];
}

/** Whether a slot's command is still in force at `now` (its end is exclusive). */
export function isLive(slot: Slot, now: number): boolean {
  return slot.expiresAt === undefined || now < slot.expiresAt;
}

/**
 * Write `value` at `priority` for `source`, replacing that slot's previous command.
 * Checks, in this order (the first failing one is thrown): priority 1..16
 * (InvalidPriorityError), the slot belongs to the source (SlotNotOwnedError),
 * finite value and now (InvalidCommandError), then the lease rules: a cloud
 * command needs leaseMs (LeaseRequiredError) of at most policy.maxLeaseMs
 * (LeaseTooLongError) and no expiresAt; other sources may not carry a lease
 * (LeaseNotAllowedError) and an expiresAt must lie after now (InvalidCommandError).
 */
export function command(
  array: PriorityArray,
  input: CommandInput,
  policy: Partial<PriorityPolicy> = {},
): PriorityArray {
  const ref = array.pointId;
  const { priority, value, source, now } = input;
  checkSlot(ref, source, priority);
  if (!Number.isFinite(value))
    throw new InvalidCommandError(ref, `point "${ref}": value must be a finite number`);
  checkInstant(ref, now, 'now');

  let slot: Slot;
  let leaseSeq = array.leaseSeq;
  if (source === 'cloud') {
    if (input.expiresAt !== undefined)
      throw new InvalidCommandError(
        ref,
        `point "${ref}": a cloud command ends by its lease (leaseMs), not expiresAt`,
      );
    if (input.leaseMs === undefined) throw new LeaseRequiredError(ref);
    checkLease(ref, input.leaseMs, policy);
    if (input.leaseId !== undefined && (typeof input.leaseId !== 'string' || input.leaseId === ''))
      throw new InvalidCommandError(ref, `point "${ref}": leaseId must be a non-empty string`);
    leaseSeq += 1;
    const leaseId = input.leaseId ?? `${ref}/${priority}/${leaseSeq}`;
    slot = { value, source, at: now, expiresAt: now + input.leaseMs, leaseId };
  } else {
    if (input.leaseMs !== undefined || input.leaseId !== undefined)
      throw new LeaseNotAllowedError(ref, source);
    if (input.expiresAt !== undefined) {
      checkInstant(ref, input.expiresAt, 'expiresAt');
      if (input.expiresAt <= now)
        throw new InvalidCommandError(
          ref,
          `point "${ref}": expiresAt ${new Date(input.expiresAt).toISOString()} is not after now`,
        );
      slot = { value, source, at: now, expiresAt: input.expiresAt };
    } else {
      slot = { value, source, at: now };
    }
  }
  return withSlot(array, priority, slot, leaseSeq);
}

/**
 * Empty `priority` (BACnet: write NULL at that priority). Relinquishing an empty
 * slot is not an error, but the slot must belong to the source.
 */
export function relinquish(
  array: PriorityArray,
  priority: number,
  source: CommandSource,
  now: number,
): PriorityArray {
  checkSlot(array.pointId, source, priority);
  checkInstant(array.pointId, now, 'now');
  if (array.slots[priority - 1] === null) return array;
  return withSlot(array, priority, null, array.leaseSeq);
}

/**
 * Extend a live lease to now + leaseMs (which may also shorten it). The lease
 * keeps its id, value and command time. A lease that has ended is not revived
 * (LeaseExpiredError) even if `expire()` has not removed it yet.
 */
export function renewLease(
  array: PriorityArray,
  input: RenewInput,
  policy: Partial<PriorityPolicy> = {},
): PriorityArray {
  const ref = array.pointId;
  const { priority, source, leaseId, leaseMs, now } = input;
  checkSlot(ref, source, priority);
  checkInstant(ref, now, 'now');
  checkLease(ref, leaseMs, policy);
  const slot = array.slots[priority - 1];
  if (slot === null || slot.leaseId === undefined || slot.leaseId !== leaseId)
    throw new LeaseNotFoundError(ref, priority, leaseId);
  if (!isLive(slot, now)) throw new LeaseExpiredError(ref, priority, leaseId, slot.expiresAt!);
  return withSlot(array, priority, { ...slot, expiresAt: now + leaseMs }, array.leaseSeq);
}

/**
 * Remove every slot whose end has come (expiresAt <= now) and report it. The
 * returned array no longer holds them, so expiring again reports nothing.
 * Reported in priority order.
 */
export function expire(array: PriorityArray, now: number): ExpireResult {
  checkInstant(array.pointId, now, 'now');
  const expired: ExpiredSlot[] = [];
  const slots = array.slots.map((slot, index) => {
    if (slot === null || slot.expiresAt === undefined || slot.expiresAt > now) return slot;
    expired.push({ ...slot, priority: index + 1, expiresAt: slot.expiresAt });
    return null;
  });
  if (expired.length === 0) return { array, expired };
  return { array: freezeArray({ ...array, slots }), expired };
}

/** The value in force: the lowest-numbered live slot (slot 12 only while autonomous), else the relinquish default. */
export function effective(array: PriorityArray, ctx: EvaluationContext): Effective {
  checkInstant(array.pointId, ctx.now, 'now');
  for (let index = 0; index < PRIORITY_LEVELS; index++) {
    const slot = array.slots[index];
    const priority = index + 1;
    if (slot === null || !isLive(slot, ctx.now)) continue;
    if (priority === FALLBACK_PRIORITY && !ctx.autonomous) continue;
    const winner: Effective = { value: slot.value, priority, source: slot.source, at: slot.at };
    if (slot.expiresAt !== undefined) winner.expiresAt = slot.expiresAt;
    if (slot.leaseId !== undefined) winner.leaseId = slot.leaseId;
    return winner;
  }
  return { value: ctx.relinquishDefault, priority: null, source: 'relinquish-default' };
}

/** The earliest expiresAt of any held slot (the next time `expire()` has work), or null. */
export function nextExpiry(array: PriorityArray): number | null {
  let next: number | null = null;
  for (const slot of array.slots) {
    if (slot?.expiresAt !== undefined && (next === null || slot.expiresAt < next)) next = slot.expiresAt;
  }
  return next;
}

/** The held slots, highest priority first (for the API's priority-array view). */
export function heldSlots(array: PriorityArray): (Slot & { priority: number })[] {
  const held: (Slot & { priority: number })[] = [];
  array.slots.forEach((slot, index) => {
    if (slot !== null) held.push({ ...slot, priority: index + 1 });
  });
  return held;
}

function checkSlot(ref: string, source: CommandSource, priority: number): void {
  if (!isPriority(priority)) throw new InvalidPriorityError(ref, priority);
  if (!isCommandSource(source))
    throw new InvalidCommandError(ref, `point "${ref}": unknown command source ${String(source)}`);
  if (!ownsSlot(source, priority)) throw new SlotNotOwnedError(ref, source, priority);
}

function checkInstant(ref: string, instant: number, what: string): void {
  if (typeof instant !== 'number' || !Number.isFinite(instant))
    throw new InvalidCommandError(ref, `point "${ref}": ${what} must be a finite instant (epoch ms)`);
}

function checkLease(ref: string, leaseMs: number, policy: Partial<PriorityPolicy>): void {
  const max = policy.maxLeaseMs ?? DEFAULT_MAX_LEASE_MS;
  if (!(max > 0) || !Number.isFinite(max))
    throw new InvalidCommandError(ref, `point "${ref}": maxLeaseMs must be a positive number of ms`);
  if (typeof leaseMs !== 'number' || !Number.isFinite(leaseMs) || leaseMs <= 0)
    throw new InvalidCommandError(ref, `point "${ref}": leaseMs must be a positive number of ms`);
  if (leaseMs > max) throw new LeaseTooLongError(ref, leaseMs, max);
}

function withSlot(
  array: PriorityArray,
  priority: number,
  slot: Slot | null,
  leaseSeq: number,
): PriorityArray {
  const slots = array.slots.slice();
  slots[priority - 1] = slot === null ? null : Object.freeze(slot);
  return freezeArray({ pointId: array.pointId, slots, leaseSeq });
}

export function freezeArray(array: PriorityArray): PriorityArray {
  Object.freeze(array.slots);
  return Object.freeze(array);
}
