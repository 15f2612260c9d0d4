/**
 * Configuration versions in the outbox, on a real SQLite file: each committed
 * version appends exactly one 'snapshot' record, in the commit's own
 * transaction, carrying the blobs the cloud has not been sent yet; a refused
 * or rolled-back commit appends nothing; blobs stored without a version travel
 * with the next version.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { buildTree, commit, hashOf, HeadMovedError } from '#libs/snapshots';
import type { Version } from '#libs/snapshots';
import type { SnapshotBody } from '#libs/sync';
import { edited, meta, sampleConfiguration } from '../../../../libs/snapshots/test-support/builders.js';
import { dataSourceOptions } from '../database/data-source.js';
import type { SqliteConnection } from '../events/sqlite-journal.js';
import { readMeta } from '../outbox/outbox-append.js';
import { appendSnapshotRecords } from './snapshot-outbox.js';
import { SqliteSnapshotStore } from './sqlite-snapshot-store.js';
import type { SnapshotCommitHook } from './sqlite-snapshot-store.js';

interface OutboxRow {
  seq: number;
  kind: string;
  at: number;
  body: string;
}

describe('snapshot records in the outbox', () => {
  let dir: string;
  let db: DataSource;
  const open = async (hook: SnapshotCommitHook = appendSnapshotRecords) => {
    db = new DataSource(dataSourceOptions(join(dir, 'c.sqlite')));
    await db.initialize();
    return SqliteSnapshotStore.fromDataSource(db, hook);
  };
  const outbox = async (): Promise<Array<{ seq: number; kind: string; at: number; body: SnapshotBody }>> =>
    (await db.query<OutboxRow[]>(`SELECT seq, kind, at, body FROM outbox ORDER BY seq`)).map((r) => ({
      ...r,
      body: JSON.parse(r.body) as SnapshotBody,
    }));
  const connection = () =>
    (db.driver as unknown as { databaseConnection: SqliteConnection }).databaseConnection;
  const blobHashes = async (): Promise<string[]> =>
    (await db.query<Array<{ hash: string }>>(`SELECT hash FROM snapshot_blob ORDER BY hash`)).map(
      (r) => r.hash,
    );

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-snapshot-outbox-'));
  });
  afterEach(async () => {
    if (db?.isInitialized) await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('appends exactly one snapshot record per commit, with the blobs new in it', async () => {
    const store = await open();
    const config = sampleConfiguration();
    const first = await commit(store, config, meta(null, 1));
    const afterFirst = await blobHashes();
    let records = await outbox();
    expect(records).toHaveLength(1);
    expect(records[0].kind).toBe('snapshot');
    expect(records[0].at).toBe(Date.parse(first.version.createdAt));
    expect(records[0].body.version).toEqual(first.version);
    expect(Object.keys(records[0].body.blobs).sort()).toEqual(afterFirst);
    // Blobs carry their stored JSON: the cloud can rebuild the configuration from them.
    const tree = buildTree(config);
    for (const [hash, value] of tree.blobs) expect(records[0].body.blobs[hash]).toEqual(value);

    const second = await commit(
      store,
      edited(config, (c) => {
        c.site = { ...c.site, name: 'renamed' };
      }),
      meta(first.version.id, 2),
    );
    const fresh = (await blobHashes()).filter((h) => !afterFirst.includes(h));
    expect(fresh.length).toBeGreaterThan(0);
    records = await outbox();
    expect(records).toHaveLength(2);
    expect((records[1].body.version as unknown as Version).id).toBe(second.version.id);
    // Copy-on-write: only what the edit changed is sent again.
    expect(Object.keys(records[1].body.blobs).sort()).toEqual(fresh.sort());
    // The outbox's running totals moved with the records (same transaction).
    expect(readMeta(connection()).records).toBe(2);
  });

  it('appends nothing for a commit that changes nothing, is refused or rolls back', async () => {
    const store = await open();
    const first = await commit(store, sampleConfiguration(), meta(null, 1));
    expect(await outbox()).toHaveLength(1);
    // Unchanged: no version, no record.
    expect((await commit(store, sampleConfiguration(), meta(first.version.id, 2))).status).toBe('unchanged');
    // Refused: the head moved.
    await expect(
      commit(
        store,
        edited(sampleConfiguration(), (c) => {
          c.site = { ...c.site, name: 'x' };
        }),
        meta(null, 3),
      ),
    ).rejects.toBeInstanceOf(HeadMovedError);
    // Rolled back: the transaction's function throws after staging a version.
    await expect(
      store.transaction(async (tx) => {
        await tx.putBlobs(new Map([[hashOf('z'), 'z']]));
        await tx.putVersion({ ...first.version, id: 'v-never', parent: first.version.id });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await outbox()).toHaveLength(1);
  });

  it('rolls the version back when its outbox record cannot be appended', async () => {
    const store = await open((conn, versions) => {
      appendSnapshotRecords(conn, versions);
      throw new Error('disk full');
    });
    await expect(commit(store, sampleConfiguration(), meta(null, 1))).rejects.toThrow('disk full');
    expect(await store.head()).toBeNull();
    expect(await db.query(`SELECT count(*) AS n FROM snapshot_version`)).toEqual([{ n: 0 }]);
    expect(await outbox()).toHaveLength(0);
  });

  it('sends blobs stored without a version along with the next version', async () => {
    const store = await open();
    const base = sampleConfiguration();
    // As ConfigurationService does at boot: the site file's own configuration, blobs only.
    await store.putBlobs(buildTree(base).blobs);
    expect(await outbox()).toHaveLength(0);
    const first = await commit(
      store,
      edited(base, (c) => {
        c.site = { ...c.site, name: 'with overrides' };
      }),
      meta(null, 1),
    );
    const records = await outbox();
    expect(records).toHaveLength(1);
    expect((records[0].body.version as unknown as Version).id).toBe(first.version.id);
    expect(Object.keys(records[0].body.blobs).sort()).toEqual(await blobHashes());
    // Sent once: the next version does not carry them again.
    await commit(
      store,
      edited(base, (c) => {
        c.site = { ...c.site, name: 'again' };
      }),
      meta(first.version.id, 2),
    );
    const next = (await outbox())[1].body.blobs;
    expect(Object.keys(next).length).toBeGreaterThan(0);
    for (const hash of Object.keys(records[0].body.blobs)) expect(next[hash]).toBeUndefined();
  });
});
