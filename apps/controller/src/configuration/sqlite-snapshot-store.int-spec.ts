/**
 * The SQLite snapshot store against libs/snapshots' shared contract, on a real
 * file built by the migrations, plus what only SQLite can show: a commit
 * survives reopening the file, a failing commit leaves no row behind, and a
 * transaction someone else holds open on the shared connection is waited for,
 * not joined.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { checkout, commit, hashOf, log } from '#libs/snapshots';
import { describeSnapshotStoreContract } from '../../../../libs/snapshots/test-support/store-contract.js';
import { sampleConfiguration } from '../../../../libs/snapshots/test-support/builders.js';
import { dataSourceOptions } from '../database/data-source.js';
import { SqliteSnapshotStore } from './sqlite-snapshot-store.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-snapshots-'));
const open: DataSource[] = [];
let files = 0;

async function openFile(file: string): Promise<{ db: DataSource; store: SqliteSnapshotStore }> {
  const db = new DataSource(dataSourceOptions(file));
  await db.initialize();
  open.push(db);
  return { db, store: SqliteSnapshotStore.fromDataSource(db) };
}

afterAll(async () => {
  for (const db of open) if (db.isInitialized) await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describeSnapshotStoreContract('SqliteSnapshotStore', async () => {
  const { store } = await openFile(join(dir, `contract-${files++}.sqlite`));
  return store;
});

describe('SqliteSnapshotStore on a file', () => {
  it('keeps versions, blobs and head across a reopen of the file', async () => {
    const file = join(dir, 'reopen.sqlite');
    const first = await openFile(file);
    const config = sampleConfiguration();
    const result = await commit(first.store, config, {
      author: 'alice',
      message: 'first',
      at: new Date('2025-03-30T00:00:00Z'),
      expectedHead: null,
    });
    await first.db.destroy();
    const second = await openFile(file);
    expect(await second.store.head()).toBe(result.version.id);
    expect(await checkout(second.store, result.version.id)).toEqual(config);
    expect((await log(second.store)).map((v) => v.message)).toEqual(['first']);
  });

  it('writes no row when the commit fails inside its transaction', async () => {
    const { db, store } = await openFile(join(dir, 'rollback.sqlite'));
    await expect(
      store.transaction(async (tx) => {
        await tx.putBlobs(new Map([[hashOf('z'), 'z']]));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const counts = await db.query<Array<{ n: number }>>(
      'SELECT (SELECT count(*) FROM snapshot_blob) + (SELECT count(*) FROM snapshot_version) AS n',
    );
    expect(counts).toEqual([{ n: 0 }]);
  });

  it('waits for a transaction another part of the process holds open, instead of joining it', async () => {
    const { db, store } = await openFile(join(dir, 'foreign.sqlite'));
    const runner = db.createQueryRunner();
    await runner.startTransaction();
    await runner.query(`INSERT INTO snapshot_blob (hash, json) VALUES ('foreign', '1')`);
    const ours = store.putBlobs(new Map([[hashOf('ours'), 'ours']]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await runner.rollbackTransaction(); // the foreign transaction is undone; ours must not be with it
    await runner.release();
    await ours;
    expect(await store.getBlob(hashOf('ours'))).toBe('ours');
    expect(await store.getBlob('foreign')).toBeUndefined();
  });

  it('records imports and answers the latest', async () => {
    const { store } = await openFile(join(dir, 'imports.sqlite'));
    expect(store.lastImport()).toBeUndefined();
    const result = await commit(store, sampleConfiguration(), {
      author: 'site-file',
      message: 'import',
      at: new Date('2025-03-30T00:00:00Z'),
      expectedHead: null,
      kind: 'import',
    });
    const record = {
      sourceHash: result.version.rootHash,
      file: 'sites/x.yaml',
      versionId: result.version.id,
      importedAt: '2025-03-30T00:00:00.000Z',
    };
    await store.recordImport(record);
    expect(store.lastImport()).toEqual(record);
  });
});
