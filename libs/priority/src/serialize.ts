/**
 * Plain-JSON form of a priority array, for the controller's SQLite store. The
 * reader trusts nothing: a row written by an older build or edited by hand is
 * checked field by field, and the first problem is thrown as a
 * PriorityFormatError naming its path (`slots[9].expiresAt`), never half-read.
 */
import { PriorityFormatError } from './errors.js';
import type { PriorityArray, Slot } from './priority-array.js';
import { freezeArray } from './priority-array.js';
import type { OutputState } from './output-gate.js';
import { isCommandSource, ownsSlot, PRIORITY_LEVELS, SOURCE_SLOTS } from './sources.js';

export const PRIORITY_ARRAY_FORMAT_VERSION = 1;

export interface SlotJson {
  value: number;
  source: string;
  at: number;
  expiresAt?: number;
  leaseId?: string;
}

export interface PriorityArrayJson {
  version: 1;
  pointId: string;
  leaseSeq: number;
  slots: (SlotJson | null)[];
}

export function toJSON(array: PriorityArray): PriorityArrayJson {
  return {
    version: PRIORITY_ARRAY_FORMAT_VERSION,
    pointId: array.pointId,
    leaseSeq: array.leaseSeq,
    slots: array.slots.map((slot) => (slot === null ? null : slotToJson(slot))),
  };
}

function slotToJson(slot: Slot): SlotJson {
  const json: SlotJson = { value: slot.value, source: slot.source, at: slot.at };
  if (slot.expiresAt !== undefined) json.expiresAt = slot.expiresAt;
  if (slot.leaseId !== undefined) json.leaseId = slot.leaseId;
  return json;
}

/** Accepts a parsed object or a JSON string. */
export function fromJSON(input: unknown): PriorityArray {
  let data = input;
  if (typeof input === 'string') {
    try {
      data = JSON.parse(input) as unknown;
    } catch (error) {
      throw new PriorityFormatError('$', `not JSON (${(error as Error).message})`);
    }
  }
  const root = record(data, '$');
  onlyKeys(root, '$', ['version', 'pointId', 'leaseSeq', 'slots']);
  if (root.version !== PRIORITY_ARRAY_FORMAT_VERSION)
    throw new PriorityFormatError(
      '$.version',
      `must be ${PRIORITY_ARRAY_FORMAT_VERSION}, got ${String(root.version)}`,
    );
  if (typeof root.pointId !== 'string' || root.pointId === '')
    throw new PriorityFormatError('$.pointId', 'must be a non-empty string');
  const leaseSeq = root.leaseSeq;
  if (typeof leaseSeq !== 'number' || !Number.isSafeInteger(leaseSeq) || leaseSeq < 0)
    throw new PriorityFormatError('$.leaseSeq', 'must be a non-negative integer');
  if (!Array.isArray(root.slots) || root.slots.length !== PRIORITY_LEVELS)
    throw new PriorityFormatError('$.slots', `must be an array of exactly ${PRIORITY_LEVELS} entries`);
  const slots = (root.slots as unknown[]).map((entry, index) => readSlot(entry, index + 1));
  return freezeArray({ pointId: root.pointId, leaseSeq, slots });
}

function readSlot(entry: unknown, priority: number): Slot | null {
  if (entry === null) return null;
  const path = `$.slots[${priority - 1}]`;
  const raw = record(entry, path);
  onlyKeys(raw, path, ['value', 'source', 'at', 'expiresAt', 'leaseId']);
  const value = finite(raw.value, `${path}.value`);
  const at = finite(raw.at, `${path}.at`);
  const source = raw.source;
  if (!isCommandSource(source))
    throw new PriorityFormatError(`${path}.source`, `unknown source ${JSON.stringify(source)}`);
  if (!ownsSlot(source, priority))
    throw new PriorityFormatError(
      `${path}.source`,
      `${source} may not hold priority ${priority} (its slots: ${SOURCE_SLOTS[source].join(', ')})`,
    );
  const slot: { -readonly [K in keyof Slot]: Slot[K] } = { value, source, at };
  if (raw.expiresAt !== undefined) {
    const expiresAt = finite(raw.expiresAt, `${path}.expiresAt`);
    if (expiresAt <= at) throw new PriorityFormatError(`${path}.expiresAt`, 'must be after at');
    slot.expiresAt = expiresAt;
  }
  if (raw.leaseId !== undefined) {
    if (typeof raw.leaseId !== 'string' || raw.leaseId === '')
      throw new PriorityFormatError(`${path}.leaseId`, 'must be a non-empty string');
    slot.leaseId = raw.leaseId;
  }
  if (source === 'cloud' && (slot.leaseId === undefined || slot.expiresAt === undefined))
    throw new PriorityFormatError(path, 'a cloud command must have a leaseId and an expiresAt');
  if (source !== 'cloud' && slot.leaseId !== undefined)
    throw new PriorityFormatError(`${path}.leaseId`, `only cloud commands carry leases, not ${source}`);
  return Object.freeze(slot);
}

export function record(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new PriorityFormatError(path, 'must be an object');
  return value as Record<string, unknown>;
}

export function onlyKeys(value: Record<string, unknown>, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new PriorityFormatError(`${path}.${key}`, 'unknown field');
  }
}

export function finite(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new PriorityFormatError(path, 'must be a finite number');
  return value;
}

/** Reads a persisted OutputState (output-gate.ts), validating every field. */
export function outputStateFromJSON(input: unknown): OutputState {
  const raw = record(input, '$');
  onlyKeys(raw, '$', ['value', 'changedAt', 'steppedAt', 'target']);
  const read = (key: keyof OutputState): number | null => {
    const value = raw[key];
    if (value === null) return null;
    return finite(value, `$.${key}`);
  };
  for (const key of ['value', 'changedAt', 'steppedAt', 'target'] as const) {
    if (!Object.hasOwn(raw, key)) throw new PriorityFormatError(`$.${key}`, 'is required (number or null)');
  }
  return Object.freeze({
    value: read('value'),
    changedAt: read('changedAt'),
    steppedAt: read('steppedAt'),
    target: read('target'),
  });
}
