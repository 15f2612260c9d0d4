/**
 * The reference SnapshotStore, in memory: for tests, and as the executable
 * meaning of the port's contract (store.ts). It keeps blobs and versions as
 * JSON text, as a database column would, so what a caller gets back is always
 * a copy. Transactions run one at a time; each stages its writes in a private
 * overlay and applies it in one synchronous step when fn resolves, so a
 * failure anywhere inside fn leaves the store exactly as it was.
 */
import type { Hash } from './canonical.js';
import { HeadMovedError, TransactionClosedError, UnknownVersionError } from './errors.js';
import { SnapshotStoreBase } from './store-base.js';
import type { ListVersionsOptions, SnapshotWriter, Version, VersionId } from './store.js';

interface Tables {
  blobs: Map<Hash, string>;
  /** Insertion order is the store's version order. */
  versions: Map<VersionId, string>;
}

function parse(text: string | undefined): unknown {
  return text === undefined ? undefined : JSON.parse(text);
}

function page(versions: Version[], opts: ListVersionsOptions | undefined): Version[] {
  const offset = opts?.offset ?? 0;
  const end = opts?.limit === undefined ? undefined : offset + opts.limit;
  return versions.slice(offset, end);
}

/** One transaction's view: its own staged writes over the committed tables. */
class StagedTransaction implements SnapshotWriter {
  readonly staged: Tables = { blobs: new Map(), versions: new Map() };
  stagedHead: { id: VersionId } | undefined;
  private open = true;

  constructor(
    private readonly committed: Tables,
    private readonly committedHead: () => VersionId | null,
  ) {}

  close(): void {
    this.open = false;
  }

  /** Runs `read` unless the transaction ended; a closed handle rejects rather than throwing synchronously. */
  private guard<T>(read: () => T): Promise<T> {
    if (!this.open) return Promise.reject(new TransactionClosedError());
    return new Promise((resolve) => resolve(read())); // a throw inside read() becomes the rejection
  }

  getBlob(hash: Hash): Promise<unknown> {
    return this.guard(() => parse(this.staged.blobs.get(hash) ?? this.committed.blobs.get(hash)));
  }

  getVersion(id: VersionId): Promise<Version | undefined> {
    return this.guard(
      () => parse(this.staged.versions.get(id) ?? this.committed.versions.get(id)) as Version | undefined,
    );
  }

  listVersions(opts?: ListVersionsOptions): Promise<Version[]> {
    return this.guard(() => {
      const all = [...this.committed.versions.values(), ...this.staged.versions.values()];
      return page(
        all.reverse().map((text) => parse(text) as Version),
        opts,
      );
    });
  }

  head(): Promise<VersionId | null> {
    return this.guard(() => (this.stagedHead ? this.stagedHead.id : this.committedHead()));
  }

  putBlobs(blobs: ReadonlyMap<Hash, unknown>): Promise<void> {
    return this.guard(() => {
      for (const [hash, value] of blobs) {
        if (!this.committed.blobs.has(hash) && !this.staged.blobs.has(hash))
          this.staged.blobs.set(hash, JSON.stringify(value));
      }
    });
  }

  putVersion(version: Version): Promise<void> {
    return this.guard(() => {
      if (!this.committed.versions.has(version.id) && !this.staged.versions.has(version.id))
        this.staged.versions.set(version.id, JSON.stringify(version));
    });
  }

  async setHead(expected: VersionId | null, next: VersionId): Promise<void> {
    const current = await this.head();
    if (current !== expected) throw new HeadMovedError(expected, current);
    if (!this.committed.versions.has(next) && !this.staged.versions.has(next))
      throw new UnknownVersionError(next);
    this.stagedHead = { id: next };
  }
}

export class InMemorySnapshotStore extends SnapshotStoreBase {
  private readonly tables: Tables = { blobs: new Map(), versions: new Map() };
  private headId: VersionId | null = null;

  /** Counts of what is committed, for tests and diagnostics. */
  stats(): { blobs: number; versions: number } {
    return { blobs: this.tables.blobs.size, versions: this.tables.versions.size };
  }

  /** Hashes of every committed blob (a copy). */
  blobHashes(): Set<Hash> {
    return new Set(this.tables.blobs.keys());
  }

  getBlob(hash: Hash): Promise<unknown> {
    return Promise.resolve(parse(this.tables.blobs.get(hash)));
  }

  getVersion(id: VersionId): Promise<Version | undefined> {
    return Promise.resolve(parse(this.tables.versions.get(id)) as Version | undefined);
  }

  listVersions(opts?: ListVersionsOptions): Promise<Version[]> {
    const all = [...this.tables.versions.values()].reverse().map((text) => parse(text) as Version);
    return Promise.resolve(page(all, opts));
  }

  head(): Promise<VersionId | null> {
    return Promise.resolve(this.headId);
  }

  /** One at a time: each starts when the previous one settled. */
  transaction<T>(fn: (tx: SnapshotWriter) => Promise<T>): Promise<T> {
    return this.serialised(async () => {
      const tx = new StagedTransaction(this.tables, () => this.headId);
      try {
        const result = await fn(tx);
        this.apply(tx);
        return result;
      } finally {
        tx.close();
      }
    });
  }

  /** Synchronous, so no other code observes a half-applied transaction. */
  private apply(tx: StagedTransaction): void {
    for (const [hash, text] of tx.staged.blobs) this.tables.blobs.set(hash, text);
    for (const [id, text] of tx.staged.versions) this.tables.versions.set(id, text);
    if (tx.stagedHead) this.headId = tx.stagedHead.id;
  }
}
