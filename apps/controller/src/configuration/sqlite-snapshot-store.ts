/**
 * libs/snapshots' SnapshotStore on the controller's SQLite file (tables from
 * migration 1764489600000-snapshots).
 *
 * It talks to better-sqlite3 directly, not through TypeORM: the driver has one
 * connection, so an async BEGIN ... COMMIT through TypeORM would let every
 * other query of the process slip into the transaction. Instead a transaction
 * stages its writes in memory (reads through `tx` see them over the committed
 * tables) and, when fn resolves, applies them in one synchronous
 * BEGIN IMMEDIATE transaction that nothing in this process can interleave
 * with, re-checking the head's compare-and-set inside it (another process on
 * the same file, e.g. a CLI, cannot slip in between either). When fn throws,
 * nothing was written. Transactions of this store run one after another.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import {
  HeadMovedError,
  SnapshotStoreBase,
  TransactionClosedError,
  UnknownVersionError,
} from '#libs/snapshots';
import type { ConfigurationStore, ImportRecord } from './configuration-store.js';
import type { Hash, ListVersionsOptions, SnapshotWriter, Version, VersionId } from '#libs/snapshots';

interface Staged {
  blobs: Map<Hash, string>;
  versions: Map<VersionId, string>;
  head?: { expected: VersionId | null; next: VersionId };
}

/** How long a commit waits for a transaction someone else opened on the shared connection. */
const FOREIGN_TX_WAIT_MS = 5000;

/**
 * Runs inside the commit's own SQLite transaction, after its rows are written,
 * with the versions it made (in order; never called without one): the outbox
 * appends its 'snapshot' records here, so a version and its record commit or
 * fail together (configuration/snapshot-outbox.ts). A throw rolls the commit back.
 */
export type SnapshotCommitHook = (db: Database, versions: readonly Version[]) => void;

export class SqliteSnapshotStore extends SnapshotStoreBase implements ConfigurationStore {
  private readonly sql: {
    getBlob: Statement<[string], { json: string }>;
    putBlob: Statement<[string, string]>;
    getVersion: Statement<[string], { json: string }>;
    hasVersion: Statement<[string], { one: number }>;
    putVersion: Statement<[string, string]>;
    list: Statement<[number, number], { json: string }>;
    head: Statement<[], { version_id: string }>;
    setHead: Statement<[string]>;
    lastImport: Statement<[], { source_hash: string; file: string; version_id: string; imported_at: string }>;
    putImport: Statement<[string, string, string, string]>;
  };

  constructor(
    private readonly db: Database,
    private readonly onCommit?: SnapshotCommitHook,
  ) {
    super();
    this.sql = {
      getBlob: db.prepare('SELECT json FROM snapshot_blob WHERE hash = ?'),
      putBlob: db.prepare('INSERT OR IGNORE INTO snapshot_blob (hash, json) VALUES (?, ?)'),
      getVersion: db.prepare('SELECT json FROM snapshot_version WHERE id = ?'),
      hasVersion: db.prepare('SELECT 1 AS one FROM snapshot_version WHERE id = ?'),
      putVersion: db.prepare('INSERT OR IGNORE INTO snapshot_version (id, json) VALUES (?, ?)'),
      list: db.prepare('SELECT json FROM snapshot_version ORDER BY seq DESC LIMIT ? OFFSET ?'),
      head: db.prepare('SELECT version_id FROM snapshot_head WHERE singleton = 1'),
      setHead: db.prepare(
        `INSERT INTO snapshot_head (singleton, version_id) VALUES (1, ?)
         ON CONFLICT (singleton) DO UPDATE SET version_id = excluded.version_id`,
      ),
      lastImport: db.prepare(
        'SELECT source_hash, file, version_id, imported_at FROM snapshot_import ORDER BY seq DESC LIMIT 1',
      ),
      putImport: db.prepare(
        'INSERT INTO snapshot_import (source_hash, file, version_id, imported_at) VALUES (?, ?, ?, ?)',
      ),
    };
  }

  /** The raw connection behind TypeORM's better-sqlite3 driver (one per DataSource). */
  static fromDataSource(dataSource: DataSource, onCommit?: SnapshotCommitHook): SqliteSnapshotStore {
    const db = (dataSource.driver as unknown as { databaseConnection?: Database }).databaseConnection;
    if (db === undefined) throw new Error('the DataSource is not a connected better-sqlite3 one');
    return new SqliteSnapshotStore(db, onCommit);
  }

  getBlob(hash: Hash): Promise<unknown> {
    return Promise.resolve(this.committedBlob(hash));
  }

  getVersion(id: VersionId): Promise<Version | undefined> {
    return Promise.resolve(this.committedVersion(id));
  }

  listVersions(opts?: ListVersionsOptions): Promise<Version[]> {
    const limit = opts?.limit ?? -1; // SQLite: a negative LIMIT means none
    return Promise.resolve(
      this.sql.list.all(limit, opts?.offset ?? 0).map((row) => JSON.parse(row.json) as Version),
    );
  }

  head(): Promise<VersionId | null> {
    return Promise.resolve(this.committedHead());
  }

  /** The latest import record, or undefined before the first import. */
  lastImport(): ImportRecord | undefined {
    const row = this.sql.lastImport.get();
    return row === undefined
      ? undefined
      : {
          sourceHash: row.source_hash,
          file: row.file,
          versionId: row.version_id,
          importedAt: row.imported_at,
        };
  }

  recordImport(record: ImportRecord): Promise<void> {
    return this.serialised(async () => {
      await this.untilNoForeignTransaction();
      this.sql.putImport.run(record.sourceHash, record.file, record.versionId, record.importedAt);
    });
  }

  transaction<T>(fn: (tx: SnapshotWriter) => Promise<T>): Promise<T> {
    return this.serialised(async () => {
      const staged: Staged = { blobs: new Map(), versions: new Map() };
      let open = true;
      const guard = <R>(read: () => R): Promise<R> =>
        open ? new Promise<R>((resolve) => resolve(read())) : Promise.reject(new TransactionClosedError());
      const headNow = (): VersionId | null => (staged.head ? staged.head.next : this.committedHead());
      const hasVersion = (id: VersionId): boolean =>
        staged.versions.has(id) || this.sql.hasVersion.get(id) !== undefined;
      const tx: SnapshotWriter = {
        getBlob: (hash) =>
          guard(() => {
            const text = staged.blobs.get(hash);
            return text === undefined ? this.committedBlob(hash) : (JSON.parse(text) as unknown);
          }),
        getVersion: (id) =>
          guard(() => {
            const text = staged.versions.get(id);
            return text === undefined ? this.committedVersion(id) : (JSON.parse(text) as Version);
          }),
        listVersions: (opts) =>
          guard(() => {
            const committed = this.sql.list.all(-1, 0).map((row) => row.json);
            const all = [...[...staged.versions.values()].reverse(), ...committed];
            const offset = opts?.offset ?? 0;
            const end = opts?.limit === undefined ? undefined : offset + opts.limit;
            return all.slice(offset, end).map((text) => JSON.parse(text) as Version);
          }),
        head: () => guard(headNow),
        putBlobs: (blobs) =>
          guard(() => {
            for (const [hash, value] of blobs)
              if (!staged.blobs.has(hash) && this.sql.getBlob.get(hash) === undefined)
                staged.blobs.set(hash, JSON.stringify(value));
          }),
        putVersion: (version) =>
          guard(() => {
            if (!hasVersion(version.id)) staged.versions.set(version.id, JSON.stringify(version));
          }),
        setHead: (expected, next) =>
          guard(() => {
            const current = headNow();
            if (current !== expected) throw new HeadMovedError(expected, current);
            if (!hasVersion(next)) throw new UnknownVersionError(next);
            // The CAS that counts is the committed head against the transaction's first expectation.
            staged.head = { expected: staged.head ? staged.head.expected : expected, next };
          }),
      };
      try {
        const result = await fn(tx);
        await this.untilNoForeignTransaction();
        this.apply(staged);
        return result;
      } finally {
        open = false;
      }
    });
  }

  /** One BEGIN IMMEDIATE transaction: all of it lands, or none of it. */
  private apply(staged: Staged): void {
    this.db
      .transaction(() => {
        if (staged.head) {
          const current = this.committedHead();
          if (current !== staged.head.expected) throw new HeadMovedError(staged.head.expected, current);
        }
        for (const [hash, json] of staged.blobs) this.sql.putBlob.run(hash, json);
        for (const [id, json] of staged.versions) this.sql.putVersion.run(id, json);
        if (staged.head) this.sql.setHead.run(staged.head.next);
        if (this.onCommit && staged.versions.size > 0)
          this.onCommit(
            this.db,
            [...staged.versions.values()].map((json) => JSON.parse(json) as Version),
          );
      })
      .immediate();
  }

  /**
   * better-sqlite3 would nest our transaction as a savepoint inside one that
   * other code left open across an await on the shared connection (TypeORM's
   * `dataSource.transaction`); wait for it to end instead.
   */
  private async untilNoForeignTransaction(): Promise<void> {
    const until = Date.now() + FOREIGN_TX_WAIT_MS;
    while (this.db.inTransaction) {
      if (Date.now() > until)
        throw new Error('snapshot store: another transaction on the SQLite connection did not end');
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  private committedBlob(hash: Hash): unknown {
    const row = this.sql.getBlob.get(hash);
    return row === undefined ? undefined : JSON.parse(row.json);
  }

  private committedVersion(id: VersionId): Version | undefined {
    const row = this.sql.getVersion.get(id);
    return row === undefined ? undefined : (JSON.parse(row.json) as Version);
  }

  private committedHead(): VersionId | null {
    return this.sql.head.get()?.version_id ?? null;
  }
}
