import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { configurationArb, permuteKeys } from '../test-support/arbitraries.js';
import { edited, meta, minute, sampleConfiguration } from '../test-support/builders.js';
import { FaultyStore, InjectedFailure } from '../test-support/faulty-store.js';
import type { WriteStep } from '../test-support/faulty-store.js';
import { hashOf } from './canonical.js';
import {
  CanonicalJsonError,
  HeadMovedError,
  InvalidConfigurationError,
  InvalidIdError,
  InvalidMetaError,
} from './errors.js';
import { InMemorySnapshotStore } from './memory-store.js';
import { checkout, commit } from './operations.js';
import type { CommitMeta } from './operations.js';
import type { Configuration } from './tree.js';
import { buildTree, configurationHash, treeHashes } from './tree.js';

async function firstCommit(store = new InMemorySnapshotStore(), config = sampleConfiguration()) {
  const result = await commit(store, config, meta(null, 0, 'initial import'));
  if (result.status !== 'created') throw new Error('first commit must create a version');
  return { store, config, version: result.version };
}

describe('commit', () => {
  it('creates the first version, moves head, and checks out to the same configuration', async () => {
    const { store, config, version } = await firstCommit();
    expect(version).toMatchObject({
      parent: null,
      author: 'alice',
      kind: 'edit',
      createdAt: minute(0).toISOString(),
    });
    expect(version.rootHash).toBe(configurationHash(config));
    expect(version.id).not.toBe(version.rootHash);
    expect(await store.head()).toBe(version.id);
    expect(await checkout(store, version.id)).toEqual(config);
    expect(store.stats()).toEqual({ blobs: buildTree(config).blobs.size, versions: 1 });
  });

  it('returns copies: mutating the committed or checked-out object changes nothing stored', async () => {
    const { store, config, version } = await firstCommit();
    const original = structuredClone(config);
    config.site.name = 'mutated after commit';
    const out = await checkout(store, version.id);
    (out.schedules['lobby-lights'] as { name: string }).name = 'mutated after checkout';
    expect(await checkout(store, version.id)).toEqual(original);
  });

  it('says "unchanged" instead of making an empty version', async () => {
    const { store, config, version } = await firstCommit();
    const again = await commit(store, structuredClone(config), meta(version.id, 1));
    expect(again).toEqual({ status: 'unchanged', version });
    expect(store.stats().versions).toBe(1);
  });

  it('records kind "import" when asked', async () => {
    const store = new InMemorySnapshotStore();
    const result = await commit(store, sampleConfiguration(), { ...meta(null), kind: 'import' });
    expect(result.version.kind).toBe('import');
  });
});

describe('copy-on-write', () => {
  it('editing one schedule adds exactly the schedule, the schedules index and the root', async () => {
    const { store, config, version } = await firstCommit();
    const before = store.blobHashes();
    const next = edited(config, (c) => {
      (c.schedules['lobby-lights'] as { scheduleDefault: number }).scheduleDefault = 1;
    });
    const result = await commit(store, next, meta(version.id, 1));
    expect(result.status).toBe('created');
    if (result.status !== 'created') return;
    const tree = buildTree(next);
    const added = [...store.blobHashes()].filter((hash) => !before.has(hash));
    expect(new Set(added)).toEqual(
      new Set([tree.rootHash, tree.root.schedules, tree.indexes.schedules['lobby-lights']]),
    );
    expect(result.blobsWritten).toBe(3);
    // Every other blob of the old tree is shared by the new one.
    const oldTree = await treeHashes(store, version.rootHash);
    const newTree = await treeHashes(store, result.version.rootHash);
    const dropped = [...oldTree].filter((hash) => !newTree.has(hash));
    expect(dropped).toHaveLength(3);
    expect(newTree.size).toBe(oldTree.size);
  });

  it.each<[string, (c: Configuration) => void, number]>([
    ['the site time zone (site + root)', (c) => void (c.site.timeZone = 'America/New_York'), 2],
    [
      'a new device (device + index + root)',
      (c) => void (c.devices.new = { id: 'new', pollIntervalMs: 1 }),
      3,
    ],
    ['removing an override (index + root)', (c) => void delete c.overrides['vav-1-01/damper'], 2],
    [
      'a rule and a calendar (2 parts + 2 indexes + root)',
      (c) => {
        c.rules['freeze-protection'] = { id: 'freeze-protection', disabled: true };
        c.calendars['public-holidays'] = { name: 'public-holidays', entries: [] };
      },
      5,
    ],
  ])('editing %s writes only the changed blobs', async (_name, edit, expected) => {
    const { store, config, version } = await firstCommit();
    const blobs = store.stats().blobs;
    const result = await commit(store, edited(config, edit), meta(version.id, 1));
    expect(result.status === 'created' && result.blobsWritten).toBe(expected);
    expect(store.stats().blobs - blobs).toBe(expected);
  });

  it('stores identical parts once: empty collections and twin devices share a blob', () => {
    const config = sampleConfiguration();
    config.rules = {};
    config.calendars = {};
    config.devices.twin = structuredClone(config.devices.meter);
    const tree = buildTree(config);
    expect(tree.root.rules).toBe(tree.root.calendars);
    expect(tree.indexes.devices.twin).toBe(tree.indexes.devices.meter);
  });
});

describe('identical configurations', () => {
  it('hash identically regardless of key order, and a reordered commit is "unchanged" (property)', async () => {
    await fc.assert(
      fc.asyncProperty(configurationArb, fc.integer(), async (config, seed) => {
        const permuted = permuteKeys(config, seed) as Configuration;
        expect(configurationHash(permuted)).toBe(configurationHash(config));
        const { store, version } = await firstCommit(new InMemorySnapshotStore(), config);
        const again = await commit(store, permuted, meta(version.id, 1));
        expect(again.status).toBe('unchanged');
      }),
      { numRuns: 100 },
    );
  });

  it('differ when any part differs', () => {
    const config = sampleConfiguration();
    const other = edited(config, (c) => void (c.overrides['vav-1-01/damper'] = []));
    expect(configurationHash(other)).not.toBe(configurationHash(config));
  });
});

describe('concurrent edits', () => {
  it('refuses a commit on a stale head with HeadMovedError and writes nothing', async () => {
    const { store, config, version } = await firstCommit();
    const mine = edited(config, (c) => void (c.site.name = 'mine'));
    const theirs = edited(config, (c) => void (c.site.name = 'theirs'));
    const landed = await commit(store, theirs, meta(version.id, 1));
    const stats = store.stats();
    const refused = commit(store, mine, meta(version.id, 2));
    await expect(refused).rejects.toBeInstanceOf(HeadMovedError);
    await expect(refused).rejects.toMatchObject({ expected: version.id, actual: landed.version.id });
    expect(store.stats()).toEqual(stats);
    expect(await store.head()).toBe(landed.version.id);
  });

  it('lets exactly one of two simultaneous commits from the same head land', async () => {
    const { store, config, version } = await firstCommit();
    const results = await Promise.allSettled(
      ['a', 'b'].map((name, i) =>
        commit(
          store,
          edited(config, (c) => void (c.site.name = name)),
          meta(version.id, i + 1),
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0].reason).toBeInstanceOf(HeadMovedError);
    expect(store.stats().versions).toBe(2);
  });

  it('refuses a first commit into a store that already has a head', async () => {
    const { store } = await firstCommit();
    await expect(commit(store, sampleConfiguration(), meta(null, 1))).rejects.toBeInstanceOf(HeadMovedError);
  });
});

describe('atomicity', () => {
  it.each<WriteStep>(['putBlobs', 'putVersion', 'setHead'])(
    'a failure injected at %s leaves blobs, versions and head as they were',
    async (step) => {
      const inner = new InMemorySnapshotStore();
      const store = new FaultyStore(inner);
      const { config, version } = await firstCommit(inner);
      const before = { stats: inner.stats(), blobs: inner.blobHashes() };
      const next = edited(config, (c) => void (c.schedules.extra = { id: 'extra' }));
      store.failAt = step;
      await expect(commit(store, next, meta(version.id, 1))).rejects.toBeInstanceOf(InjectedFailure);
      expect(inner.stats()).toEqual(before.stats);
      expect(inner.blobHashes()).toEqual(before.blobs);
      expect(await inner.head()).toBe(version.id);
      // Nothing half-written blocks a retry.
      const retry = await commit(store, next, meta(version.id, 2));
      expect(retry.status === 'created' && retry.blobsWritten).toBe(3);
    },
  );
});

describe('refused input (nothing written)', () => {
  it.each<[string, () => Configuration, new (...args: never[]) => Error, string]>([
    [
      'undefined inside a part',
      () => edited(sampleConfiguration(), (c) => void (c.schedules.x = { a: undefined })),
      CanonicalJsonError,
      'schedules.x.a',
    ],
    [
      'NaN inside a part',
      () => edited(sampleConfiguration(), (c) => void (c.devices.meter = { pollIntervalMs: NaN })),
      CanonicalJsonError,
      'devices.meter.pollIntervalMs',
    ],
    [
      'a Date',
      () => edited(sampleConfiguration(), (c) => void (c.rules.r = { at: new Date() })),
      CanonicalJsonError,
      'rules.r.at',
    ],
    [
      'an unknown section',
      () => ({ ...sampleConfiguration(), points: {} }) as Configuration,
      InvalidConfigurationError,
      'points',
    ],
    [
      'a missing section',
      () => edited(sampleConfiguration(), (c) => void delete (c as Partial<Configuration>).rules),
      InvalidConfigurationError,
      'rules',
    ],
    [
      'a site without a time zone',
      () => edited(sampleConfiguration(), (c) => void (c.site.timeZone = '')),
      InvalidConfigurationError,
      'site.timeZone',
    ],
    [
      'an empty key',
      () => edited(sampleConfiguration(), (c) => void (c.devices[''] = {})),
      InvalidConfigurationError,
      'devices',
    ],
  ])('refuses %s, naming the path', async (_name, make, type, path) => {
    const store = new InMemorySnapshotStore();
    const result = commit(store, make(), meta(null));
    await expect(result).rejects.toBeInstanceOf(type);
    await expect(result).rejects.toThrow(path);
    expect(store.stats()).toEqual({ blobs: 0, versions: 0 });
  });

  it.each<[string, Partial<CommitMeta>, new (...args: never[]) => Error]>([
    ['an empty author', { author: ' ' }, InvalidMetaError],
    ['an invalid date', { at: new Date(NaN) }, InvalidMetaError],
    ['a missing expectedHead', { expectedHead: undefined }, InvalidMetaError],
    ['a malformed expectedHead', { expectedHead: 'v1' }, InvalidIdError],
    ['an unknown kind', { kind: 'rollback' as 'edit' }, InvalidMetaError],
  ])('refuses meta with %s', async (_name, patch, type) => {
    const store = new InMemorySnapshotStore();
    await expect(commit(store, sampleConfiguration(), { ...meta(null), ...patch })).rejects.toBeInstanceOf(
      type,
    );
    expect(store.stats().blobs).toBe(0);
  });

  it('refuses an expectedHead that is well-formed but not head', async () => {
    const { store } = await firstCommit();
    await expect(commit(store, sampleConfiguration(), meta(hashOf('nope'), 1))).rejects.toBeInstanceOf(
      HeadMovedError,
    );
  });
});
