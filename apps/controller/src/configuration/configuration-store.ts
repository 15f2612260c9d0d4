/**
 * What the configuration service needs of its storage: libs/snapshots'
 * SnapshotStore plus the record of site-file imports. SQLite in production
 * (sqlite-snapshot-store.ts); in memory for unit tests.
 */
import { InMemorySnapshotStore } from '#libs/snapshots';
import type { Hash, SnapshotStore, VersionId } from '#libs/snapshots';

/** One recorded import of the site file (see configuration.service.ts). */
export interface ImportRecord {
  /** Root hash of the configuration the file gave (overrides empty); its blobs are stored too. */
  sourceHash: Hash;
  file: string;
  versionId: VersionId;
  importedAt: string;
}

export interface ConfigurationStore extends SnapshotStore {
  lastImport(): ImportRecord | undefined;
  recordImport(record: ImportRecord): Promise<void>;
}

export const SNAPSHOT_STORE = Symbol('SNAPSHOT_STORE');

/** libs/snapshots' reference store with an import log: for unit tests. */
export class InMemoryConfigurationStore extends InMemorySnapshotStore implements ConfigurationStore {
  readonly imports: ImportRecord[] = [];

  lastImport(): ImportRecord | undefined {
    return this.imports.at(-1);
  }

  recordImport(record: ImportRecord): Promise<void> {
    this.imports.push({ ...record });
    return Promise.resolve();
  }
}
