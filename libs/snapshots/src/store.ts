/**
 * The storage port. The operations (operations.ts, diff.ts) are pure logic over
 * it; the controller implements it on SQLite, the cloud on PostgreSQL, and
 * InMemorySnapshotStore (memory-store.ts) is the reference implementation that
 * the contract tests (test-support/store-contract.ts) pin down. A store is
 * dumb on purpose: it keeps blobs under the names it is given and versions as
 * records; it never hashes, and the operations verify every blob and version
 * they read (a store cannot corrupt a configuration unnoticed).
 *
 * Guide for an implementation:
 * - Blobs: a table (hash TEXT PRIMARY KEY, json TEXT). putBlobs is idempotent:
 *   INSERT OR IGNORE, since a hash names exactly one content. Return a copy
 *   (parse the JSON text): callers may mutate what they get.
 * - Versions: a table keyed by id with an insertion sequence; putVersion is
 *   idempotent for the same id. listVersions is newest first by that sequence.
 * - Head: a single row. setHead(expected, next) is compare-and-set: it throws
 *   HeadMovedError when the stored head is not `expected`, and refuses a `next`
 *   that is not a stored version (UnknownVersionError).
 * - SnapshotStoreBase (store-base.ts) supplies the three writes outside a
 *   transaction (each one transaction of its own) and an in-process queue.
 * - transaction(fn): all or nothing. Everything written through `tx` becomes
 *   visible together when fn resolves, and nothing of it when fn throws (the
 *   error is rethrown). Writing transactions are serialised (SQLite: BEGIN
 *   IMMEDIATE; PostgreSQL: SELECT ... FOR UPDATE on the head row). Reads through
 *   `tx` see the transaction's own writes. Do not call the store's own write
 *   methods from inside fn: they wait for fn's transaction to end.
 */
import type { Hash } from './canonical.js';

/** A version id: SHA-256 over the version record without its id (see version.ts). */
export type VersionId = Hash;

export type VersionKind = 'edit' | 'rollback' | 'import';

/** An immutable configuration version. History is a chain of parents; nothing is ever rewritten. */
export interface Version {
  id: VersionId;
  parent: VersionId | null;
  /** ISO 8601 UTC, e.g. 2025-03-30T01:00:00.000Z. */
  createdAt: string;
  author: string;
  message: string;
  /** Hash of the configuration's root tree blob: equal for equal configurations. */
  rootHash: Hash;
  kind: VersionKind;
  /** kind 'rollback' only: the version whose tree this one restores. */
  rolledBackTo?: VersionId;
}

export interface ListVersionsOptions {
  /** At most this many versions (default: all). */
  limit?: number;
  /** Skip this many of the newest first (default 0). */
  offset?: number;
}

/** What a transaction (and the store outside one) can read. */
export interface SnapshotReader {
  /** The blob stored under `hash`, or undefined; a fresh copy each call. */
  getBlob(hash: Hash): Promise<unknown>;
  getVersion(id: VersionId): Promise<Version | undefined>;
  /** Newest first, in the order they were stored. */
  listVersions(opts?: ListVersionsOptions): Promise<Version[]>;
  head(): Promise<VersionId | null>;
}

/** Reads and writes; inside a transaction every write is staged until it commits. */
export interface SnapshotWriter extends SnapshotReader {
  /** Idempotent: a hash already stored keeps its content. */
  putBlobs(blobs: ReadonlyMap<Hash, unknown>): Promise<void>;
  /** Idempotent for an id already stored. */
  putVersion(version: Version): Promise<void>;
  /** Compare-and-set: HeadMovedError if head is not `expected`; UnknownVersionError if `next` is not stored. */
  setHead(expected: VersionId | null, next: VersionId): Promise<void>;
}

export interface SnapshotStore extends SnapshotWriter {
  /** All or nothing; serialised with other transactions. */
  transaction<T>(fn: (tx: SnapshotWriter) => Promise<T>): Promise<T>;
}
