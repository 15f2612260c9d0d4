/**
 * Version records and their ids.
 *
 * A version id is NOT the root tree hash: it is SHA-256 over the canonical
 * JSON of the whole record except `id` (rootHash, parent, createdAt, author,
 * message, kind, rolledBackTo), as a Git commit is. The root hash identifies a
 * configuration; the id identifies one event in its history. Otherwise a
 * rollback — a new version whose tree equals an older one — would get the
 * older version's id, and history would fold back on itself. Hashing the
 * parent chains every version to all before it, and lets a reader prove a
 * stored record was not altered (CorruptVersionError).
 */
import type { Hash } from './canonical.js';
import { hashOf, isHash, isPlainObject } from './canonical.js';
import { CorruptVersionError, InvalidIdError, UnknownVersionError } from './errors.js';
import type { SnapshotReader, Version, VersionId, VersionKind } from './store.js';

const KINDS: readonly VersionKind[] = ['edit', 'rollback', 'import'];
const FIELDS = ['id', 'parent', 'createdAt', 'author', 'message', 'rootHash', 'kind', 'rolledBackTo'];

export type VersionFields = Omit<Version, 'id'>;

/** Throws InvalidIdError unless `id` is a SHA-256 hex digest. */
export function assertId(id: unknown, what = 'version id'): asserts id is Hash {
  if (!isHash(id)) throw new InvalidIdError(what, id);
}

export function versionId(fields: VersionFields): VersionId {
  const { rolledBackTo, ...rest } = fields;
  return hashOf(rolledBackTo === undefined ? rest : { ...rest, rolledBackTo });
}

export function makeVersion(fields: VersionFields): Version {
  const version: Version = {
    id: versionId(fields),
    parent: fields.parent,
    createdAt: fields.createdAt,
    author: fields.author,
    message: fields.message,
    rootHash: fields.rootHash,
    kind: fields.kind,
  };
  if (fields.rolledBackTo !== undefined) version.rolledBackTo = fields.rolledBackTo;
  return version;
}

function shapeProblem(record: Record<string, unknown>): string | undefined {
  const unknown = Object.keys(record).find((key) => !FIELDS.includes(key));
  if (unknown !== undefined) return `unknown field ${unknown}`;
  if (record.parent !== null && !isHash(record.parent)) return 'parent is neither null nor a hash';
  if (typeof record.createdAt !== 'string' || Number.isNaN(Date.parse(record.createdAt)))
    return 'createdAt is not a date';
  if (typeof record.author !== 'string') return 'author is not a string';
  if (typeof record.message !== 'string') return 'message is not a string';
  if (!isHash(record.rootHash)) return 'rootHash is not a hash';
  if (!KINDS.includes(record.kind as VersionKind)) return `kind ${String(record.kind)} is unknown`;
  if ((record.kind === 'rollback') !== (record.rolledBackTo !== undefined))
    return 'rolledBackTo must be present exactly for kind rollback';
  if (record.rolledBackTo !== undefined && !isHash(record.rolledBackTo)) return 'rolledBackTo is not a hash';
  return undefined;
}

/**
 * The version stored under `id`, proven unaltered: InvalidIdError for a
 * malformed id, UnknownVersionError if absent, CorruptVersionError if its
 * record is malformed or does not hash to `id`.
 */
export async function readVersion(reader: SnapshotReader, id: unknown): Promise<Version> {
  assertId(id);
  const record = (await reader.getVersion(id)) as unknown;
  if (record === undefined) throw new UnknownVersionError(id);
  if (!isPlainObject(record)) throw new CorruptVersionError(id, 'record is not an object');
  if (record.id !== id) throw new CorruptVersionError(id, `record carries id ${String(record.id)}`);
  const problem = shapeProblem(record);
  if (problem !== undefined) throw new CorruptVersionError(id, problem);
  const version = record as unknown as Version;
  const { id: _id, ...fields } = version;
  const actual = versionId(fields);
  if (actual !== id) throw new CorruptVersionError(id, `record hashes to ${actual}`);
  return makeVersion(fields);
}
