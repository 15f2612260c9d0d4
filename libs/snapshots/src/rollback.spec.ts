import { describe, expect, it } from '@jest/globals';
import { edited, meta, minute, sampleConfiguration } from '../test-support/builders.js';
import { HeadMovedError, InvalidMetaError } from './errors.js';
import { InMemorySnapshotStore } from './memory-store.js';
import { checkout, commit, getVersion, headVersion, log, rollback } from './operations.js';
import type { Version } from './store.js';
import type { Configuration } from './tree.js';

/** Three versions: v1 (sample), v2 (lobby default 1), v3 (+ a device). */
async function history() {
  const store = new InMemorySnapshotStore();
  const configs: Configuration[] = [sampleConfiguration()];
  configs.push(
    edited(
      configs[0],
      (c) => void ((c.schedules['lobby-lights'] as { scheduleDefault: number }).scheduleDefault = 1),
    ),
  );
  configs.push(
    edited(configs[1], (c) => void (c.devices['vav-1-02'] = { id: 'vav-1-02', pollIntervalMs: 5000 })),
  );
  const versions: Version[] = [];
  for (const [i, config] of configs.entries()) {
    const result = await commit(store, config, meta(versions.at(-1)?.id ?? null, i));
    versions.push(result.version);
  }
  return { store, configs, versions };
}

describe('rollback', () => {
  it('makes a new version whose tree is the target, with parent = head, and writes no blobs', async () => {
    const { store, configs, versions } = await history();
    const blobs = store.stats().blobs;
    const result = await rollback(store, versions[0].id, { author: 'bob', at: minute(10) });
    expect(result.status).toBe('created');
    const v4 = result.version;
    expect(v4).toMatchObject({
      parent: versions[2].id,
      rootHash: versions[0].rootHash,
      kind: 'rollback',
      rolledBackTo: versions[0].id,
      author: 'bob',
      message: `rollback to ${versions[0].id}`,
      createdAt: minute(10).toISOString(),
    });
    expect(v4.id).not.toBe(versions[0].id);
    expect(await store.head()).toBe(v4.id);
    expect(await checkout(store, v4.id)).toEqual(configs[0]);
    expect(store.stats().blobs).toBe(blobs);
    expect(result.status === 'created' && result.blobsWritten).toBe(0);
  });

  it('leaves history intact: every earlier version still checks out as it was', async () => {
    const { store, configs, versions } = await history();
    await rollback(store, versions[1].id, { author: 'bob', at: minute(10), message: 'undo the new VAV' });
    const entries = await log(store);
    expect(entries.map((v) => v.id).slice(1)).toEqual([versions[2].id, versions[1].id, versions[0].id]);
    expect(entries[0].message).toBe('undo the new VAV');
    for (const [i, version] of versions.entries()) {
      expect(await getVersion(store, version.id)).toEqual(version);
      expect(await checkout(store, version.id)).toEqual(configs[i]);
    }
  });

  it('can itself be rolled back (roll forward to the version that was undone)', async () => {
    const { store, configs, versions } = await history();
    const back = await rollback(store, versions[0].id, { author: 'bob', at: minute(10) });
    const forward = await rollback(store, versions[2].id, { author: 'bob', at: minute(11) });
    expect(forward.version.parent).toBe(back.version.id);
    expect(await checkout(store, forward.version.id)).toEqual(configs[2]);
    expect(store.stats().versions).toBe(5);
  });

  it('gives two rollbacks to the same tree different ids but the same root hash', async () => {
    const { store, versions } = await history();
    const first = await rollback(store, versions[0].id, { author: 'bob', at: minute(10) });
    await rollback(store, versions[2].id, { author: 'bob', at: minute(11) });
    const second = await rollback(store, versions[0].id, { author: 'bob', at: minute(12) });
    expect(second.version.id).not.toBe(first.version.id);
    expect(second.version.rootHash).toBe(first.version.rootHash);
  });

  it('says "unchanged" when head already has the target tree', async () => {
    const { store, versions } = await history();
    const result = await rollback(store, versions[2].id, { author: 'bob', at: minute(10) });
    expect(result).toEqual({ status: 'unchanged', version: versions[2] });
    expect(store.stats().versions).toBe(3);
  });

  it('refuses with HeadMovedError when expectedHead is stale, and accepts the current head', async () => {
    const { store, versions } = await history();
    const stale = rollback(store, versions[0].id, {
      author: 'bob',
      at: minute(10),
      expectedHead: versions[1].id,
    });
    await expect(stale).rejects.toBeInstanceOf(HeadMovedError);
    expect(await store.head()).toBe(versions[2].id);
    const ok = await rollback(store, versions[0].id, {
      author: 'bob',
      at: minute(10),
      expectedHead: versions[2].id,
    });
    expect(ok.status).toBe('created');
  });

  it('refuses a rollback without an author', async () => {
    const { store, versions } = await history();
    await expect(rollback(store, versions[0].id, { author: '', at: minute(10) })).rejects.toBeInstanceOf(
      InvalidMetaError,
    );
  });
});

describe('log', () => {
  it('lists newest first, honours limit and from, and is empty before the first commit', async () => {
    expect(await log(new InMemorySnapshotStore())).toEqual([]);
    expect(await headVersion(new InMemorySnapshotStore())).toBeNull();
    const { store, versions } = await history();
    expect(await log(store)).toEqual([...versions].reverse());
    expect(await log(store, { limit: 2 })).toEqual([versions[2], versions[1]]);
    expect(await log(store, { from: versions[1].id })).toEqual([versions[1], versions[0]]);
    expect(await headVersion(store)).toEqual(versions[2]);
    expect(await store.listVersions()).toEqual([...versions].reverse());
  });

  it('refuses a negative limit', async () => {
    const { store } = await history();
    await expect(log(store, { limit: -1 })).rejects.toBeInstanceOf(InvalidMetaError);
  });
});
