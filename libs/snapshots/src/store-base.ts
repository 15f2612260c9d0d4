/**
 * What every SnapshotStore (store.ts) does the same way, so each store writes
 * only its reads and transaction(): a write made outside a transaction is a
 * transaction of its own (all or nothing, serialised with commits like any
 * other), and a store that serialises in-process can queue its transactions
 * with `serialised`. InMemorySnapshotStore and the controller's SQLite store
 * build on it.
 */
import type { Hash } from './canonical.js';
import type { ListVersionsOptions, SnapshotStore, SnapshotWriter, Version, VersionId } from './store.js';

export abstract class SnapshotStoreBase implements SnapshotStore {
  /** Tail of the queue: each run starts when the previous one settled. */
  private queue: Promise<void> = Promise.resolve();

  abstract getBlob(hash: Hash): Promise<unknown>;
  abstract getVersion(id: VersionId): Promise<Version | undefined>;
  abstract listVersions(opts?: ListVersionsOptions): Promise<Version[]>;
  abstract head(): Promise<VersionId | null>;
  abstract transaction<T>(fn: (tx: SnapshotWriter) => Promise<T>): Promise<T>;

  putBlobs(blobs: ReadonlyMap<Hash, unknown>): Promise<void> {
    return this.transaction((tx) => tx.putBlobs(blobs));
  }

  putVersion(version: Version): Promise<void> {
    return this.transaction((tx) => tx.putVersion(version));
  }

  setHead(expected: VersionId | null, next: VersionId): Promise<void> {
    return this.transaction((tx) => tx.setHead(expected, next));
  }

  /** Runs `run` once everything this store queued before it has settled, failed or not. */
  protected serialised<T>(run: () => Promise<T>): Promise<T> {
    const result = this.queue.then(run);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
