/**
 * A SnapshotStore wrapper with named failure modes (CONVENTIONS.md habit 9):
 * a write that fails inside a transaction (to prove all-or-nothing), blobs and
 * version records tampered with on the way out (to prove corruption is
 * caught), and a count of blob reads (to prove diff reads only what differs).
 */
import type {
  Hash,
  ListVersionsOptions,
  SnapshotStore,
  SnapshotWriter,
  Version,
  VersionId,
} from '../src/index.js';

export type WriteStep = 'putBlobs' | 'putVersion' | 'setHead';

export class InjectedFailure extends Error {
  override readonly name = 'InjectedFailure';
  constructor(readonly step: WriteStep) {
    super(`injected failure at ${step}`);
  }
}

export class FaultyStore implements SnapshotStore {
  /** The next transaction write of this kind throws InjectedFailure, after the earlier writes were staged. */
  failAt: WriteStep | undefined;
  readonly tamperedBlobs = new Map<Hash, unknown>();
  readonly tamperedVersions = new Map<VersionId, unknown>();
  readonly missingBlobs = new Set<Hash>();
  blobReads = 0;

  constructor(readonly inner: SnapshotStore) {}

  getBlob(hash: Hash): Promise<unknown> {
    return this.readBlob(this.inner, hash);
  }
  getVersion(id: VersionId): Promise<Version | undefined> {
    return this.readVersion(this.inner, id);
  }
  listVersions(opts?: ListVersionsOptions): Promise<Version[]> {
    return this.inner.listVersions(opts);
  }
  head(): Promise<VersionId | null> {
    return this.inner.head();
  }
  putBlobs(blobs: ReadonlyMap<Hash, unknown>): Promise<void> {
    return this.inner.putBlobs(blobs);
  }
  putVersion(version: Version): Promise<void> {
    return this.inner.putVersion(version);
  }
  setHead(expected: VersionId | null, next: VersionId): Promise<void> {
    return this.inner.setHead(expected, next);
  }

  transaction<T>(fn: (tx: SnapshotWriter) => Promise<T>): Promise<T> {
    return this.inner.transaction((tx) => fn(this.wrap(tx)));
  }

  private async readBlob(from: SnapshotWriter | SnapshotStore, hash: Hash): Promise<unknown> {
    this.blobReads++;
    if (this.missingBlobs.has(hash)) return undefined;
    if (this.tamperedBlobs.has(hash)) return structuredClone(this.tamperedBlobs.get(hash));
    return from.getBlob(hash);
  }

  private async readVersion(
    from: SnapshotWriter | SnapshotStore,
    id: VersionId,
  ): Promise<Version | undefined> {
    if (this.tamperedVersions.has(id)) return structuredClone(this.tamperedVersions.get(id)) as Version;
    return from.getVersion(id);
  }

  private failIf(step: WriteStep): void {
    if (this.failAt !== step) return;
    this.failAt = undefined;
    throw new InjectedFailure(step);
  }

  private wrap(tx: SnapshotWriter): SnapshotWriter {
    return {
      getBlob: (hash) => this.readBlob(tx, hash),
      getVersion: (id) => this.readVersion(tx, id),
      listVersions: (opts) => tx.listVersions(opts),
      head: () => tx.head(),
      putBlobs: async (blobs) => {
        await tx.putBlobs(blobs);
        this.failIf('putBlobs');
      },
      putVersion: async (version) => {
        await tx.putVersion(version);
        this.failIf('putVersion');
      },
      setHead: async (expected, next) => {
        await tx.setHead(expected, next);
        this.failIf('setHead');
      },
    };
  }
}
