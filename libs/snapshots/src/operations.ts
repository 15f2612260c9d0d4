/**
 * The snapshot operations: pure logic over a SnapshotStore (store.ts).
 *
 * - commit and rollback run in one store transaction each: blobs, the version
 *   record and the head move together or not at all.
 * - Concurrency is optimistic, like HTTP If-Match: a commit names the version
 *   its edit was made from (`expectedHead`), and is refused with HeadMovedError
 *   if another edit landed first — never silently applied on top of it. The
 *   head is checked before anything is written and set by compare-and-set.
 * - A commit whose configuration equals the head's (same root hash) creates
 *   nothing and answers `{ status: 'unchanged' }` with the head version: an
 *   empty version would only add noise to the history. The same holds for a
 *   rollback to a version whose tree the head already has.
 * - A rollback is a new version (kind 'rollback', parent = current head,
 *   tree = the target's); history is never rewritten. It writes no blobs: the
 *   target's tree is already stored, and is read through and verified first so
 *   a damaged version can never become head.
 * - Time is passed in (`meta.at`), never read from a clock here.
 */
import type { Hash } from './canonical.js';
import { HeadMovedError, InvalidMetaError } from './errors.js';
import type { SnapshotReader, SnapshotStore, Version, VersionId } from './store.js';
import type { Configuration } from './tree.js';
import { buildTree, readConfiguration, treeHashes } from './tree.js';
import { assertId, makeVersion, readVersion } from './version.js';

export interface CommitMeta {
  author: string;
  message: string;
  /** When the edit is made, from the caller's clock. */
  at: Date;
  /** The version the edit was made from; null for the very first commit. */
  expectedHead: VersionId | null;
  /** 'import' for a configuration read from a site file or a device; default 'edit'. */
  kind?: 'edit' | 'import';
}

export interface RollbackMeta {
  author: string;
  /** Default: `rollback to <id>`. */
  message?: string;
  at: Date;
  /** When given, the rollback is refused with HeadMovedError if head moved since the caller looked. */
  expectedHead?: VersionId | null;
}

export type CommitResult =
  { status: 'created'; version: Version; blobsWritten: number } | { status: 'unchanged'; version: Version };

export interface LogOptions {
  /** At most this many versions. */
  limit?: number;
  /** Start at this version instead of head. */
  from?: VersionId;
}

function checkPerson(author: unknown, at: unknown): void {
  if (typeof author !== 'string' || author.trim() === '')
    throw new InvalidMetaError('author', 'must be a non-empty string naming who made the change');
  if (!(at instanceof Date) || Number.isNaN(at.getTime()))
    throw new InvalidMetaError('at', 'must be a valid Date');
}

function checkCommitMeta(meta: CommitMeta): void {
  checkPerson(meta.author, meta.at);
  if (typeof meta.message !== 'string') throw new InvalidMetaError('message', 'must be a string');
  if (meta.kind !== undefined && meta.kind !== 'edit' && meta.kind !== 'import')
    throw new InvalidMetaError('kind', `must be edit or import, got ${String(meta.kind)}`);
  if (meta.expectedHead === undefined)
    throw new InvalidMetaError('expectedHead', 'must name the version the edit was made from, or null');
  if (meta.expectedHead !== null) assertId(meta.expectedHead, 'expectedHead');
}

/**
 * Stores `config` as the new head version. Refused before anything is written
 * with InvalidConfigurationError / CanonicalJsonError (bad configuration),
 * InvalidMetaError, or HeadMovedError (head is not meta.expectedHead).
 */
export async function commit(
  store: SnapshotStore,
  config: Configuration,
  meta: CommitMeta,
): Promise<CommitResult> {
  checkCommitMeta(meta);
  const tree = buildTree(config);
  return store.transaction(async (tx) => {
    const head = await tx.head();
    if (head !== meta.expectedHead) {
      throw new HeadMovedError(meta.expectedHead, head);
    }
    const parent = head === null ? null : await readVersion(tx, head);
    if (parent !== null && parent.rootHash === tree.rootHash) return { status: 'unchanged', version: parent };
    // Copy-on-write: only blobs the parent's tree does not already hold are written.
    const shared = parent === null ? new Set<Hash>() : await treeHashes(tx, parent.rootHash);
    const fresh = new Map([...tree.blobs].filter(([hash]) => !shared.has(hash)));
    await tx.putBlobs(fresh);
    const version = makeVersion({
      parent: head,
      createdAt: meta.at.toISOString(),
      author: meta.author,
      message: meta.message,
      rootHash: tree.rootHash,
      kind: meta.kind ?? 'edit',
    });
    await tx.putVersion(version);
    await tx.setHead(head, version.id);
    return { status: 'created', version, blobsWritten: fresh.size };
  });
}

/** The whole configuration of version `id`, every blob verified against its hash. */
export async function checkout(store: SnapshotReader, id: VersionId): Promise<Configuration> {
  const version = await readVersion(store, id);
  return readConfiguration(store, version.rootHash);
}

/** One version's record, verified (InvalidIdError, UnknownVersionError, CorruptVersionError). */
export function getVersion(store: SnapshotReader, id: VersionId): Promise<Version> {
  return readVersion(store, id);
}

/** The head version, or null before the first commit. */
export async function headVersion(store: SnapshotReader): Promise<Version | null> {
  const head = await store.head();
  return head === null ? null : readVersion(store, head);
}

/** Makes a new version whose configuration is version `toId`'s; see the file comment. */
export async function rollback(
  store: SnapshotStore,
  toId: VersionId,
  meta: RollbackMeta,
): Promise<CommitResult> {
  assertId(toId, 'rollback target');
  checkPerson(meta.author, meta.at);
  if (meta.message !== undefined && typeof meta.message !== 'string')
    throw new InvalidMetaError('message', 'must be a string');
  if (meta.expectedHead !== undefined && meta.expectedHead !== null)
    assertId(meta.expectedHead, 'expectedHead');
  return store.transaction(async (tx) => {
    const head = await tx.head();
    if (meta.expectedHead !== undefined && head !== meta.expectedHead) {
      throw new HeadMovedError(meta.expectedHead, head);
    }
    const target = await readVersion(tx, toId);
    await readConfiguration(tx, target.rootHash);
    const current = head === null ? null : await readVersion(tx, head);
    if (current !== null && current.rootHash === target.rootHash)
      return { status: 'unchanged', version: current };
    const version = makeVersion({
      parent: head,
      createdAt: meta.at.toISOString(),
      author: meta.author,
      message: meta.message ?? `rollback to ${toId}`,
      rootHash: target.rootHash,
      kind: 'rollback',
      rolledBackTo: toId,
    });
    await tx.putVersion(version);
    await tx.setHead(head, version.id);
    return { status: 'created', version, blobsWritten: 0 };
  });
}

/** History newest first: head (or opts.from) and its ancestors, each record verified. */
export async function log(store: SnapshotReader, opts: LogOptions = {}): Promise<Version[]> {
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  if (limit !== Number.POSITIVE_INFINITY && (!Number.isInteger(limit) || limit < 0))
    throw new InvalidMetaError('limit', 'must be a non-negative integer');
  let next: VersionId | null = opts.from ?? (await store.head());
  const history: Version[] = [];
  while (next !== null && history.length < limit) {
    const version = await readVersion(store, next);
    history.push(version);
    next = version.parent;
  }
  return history;
}
