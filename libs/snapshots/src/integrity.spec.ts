import { describe, expect, it } from '@jest/globals';
import { edited, meta, minute, sampleConfiguration } from '../test-support/builders.js';
import { FaultyStore } from '../test-support/faulty-store.js';
import { hashOf } from './canonical.js';
import { diff } from './diff.js';
import {
  CorruptBlobError,
  CorruptVersionError,
  InvalidIdError,
  MissingBlobError,
  UnknownVersionError,
} from './errors.js';
import { InMemorySnapshotStore } from './memory-store.js';
import { checkout, commit, getVersion, log, rollback } from './operations.js';
import { buildTree } from './tree.js';

async function twoVersions() {
  const inner = new InMemorySnapshotStore();
  const store = new FaultyStore(inner);
  const first = sampleConfiguration();
  const v1 = (await commit(store, first, meta(null, 0))).version;
  const second = edited(first, (c) => void (c.site.name = 'Renamed'));
  const v2 = (await commit(store, second, meta(v1.id, 1))).version;
  return { inner, store, first, v1, v2 };
}

const unknownId = hashOf('no such version');

describe('unknown and malformed ids', () => {
  it.each([
    ['checkout', (s: FaultyStore, id: string) => checkout(s, id)],
    ['getVersion', (s: FaultyStore, id: string) => getVersion(s, id)],
    ['rollback', (s: FaultyStore, id: string) => rollback(s, id, { author: 'bob', at: minute(9) })],
    ['diff (first side)', (s: FaultyStore, id: string) => diff(s, id, hashOf('x'))],
    ['log from', (s: FaultyStore, id: string) => log(s, { from: id })],
  ])(
    '%s refuses an unknown id with UnknownVersionError and a malformed one with InvalidIdError',
    async (_n, op) => {
      const { store, v2 } = await twoVersions();
      await expect(op(store, unknownId)).rejects.toBeInstanceOf(UnknownVersionError);
      await expect(op(store, unknownId)).rejects.toThrow(unknownId);
      await expect(op(store, 'HEAD~1')).rejects.toBeInstanceOf(InvalidIdError);
      await expect(op(store, unknownId.toUpperCase())).rejects.toBeInstanceOf(InvalidIdError);
      expect(await store.head()).toBe(v2.id);
    },
  );

  it('diff refuses an unknown second side', async () => {
    const { store, v1 } = await twoVersions();
    await expect(diff(store, v1.id, unknownId)).rejects.toBeInstanceOf(UnknownVersionError);
  });
});

describe('corrupt blobs', () => {
  it('checkout detects a part whose content does not match its hash, naming the blob', async () => {
    const { store, first, v1 } = await twoVersions();
    const hash = buildTree(first).indexes.schedules['lobby-lights'];
    store.tamperedBlobs.set(hash, { id: 'lobby-lights', tampered: true });
    const result = checkout(store, v1.id);
    await expect(result).rejects.toBeInstanceOf(CorruptBlobError);
    await expect(result).rejects.toThrow(hash);
  });

  it('detects a tampered root and index, and content that is not JSON data', async () => {
    const { store, first, v1 } = await twoVersions();
    const tree = buildTree(first);
    store.tamperedBlobs.set(tree.root.devices, {});
    await expect(checkout(store, v1.id)).rejects.toBeInstanceOf(CorruptBlobError);
    store.tamperedBlobs.clear();
    store.tamperedBlobs.set(v1.rootHash, { ...tree.root, format: 2 });
    await expect(checkout(store, v1.id)).rejects.toBeInstanceOf(CorruptBlobError);
    store.tamperedBlobs.set(v1.rootHash, { bad: NaN });
    await expect(checkout(store, v1.id)).rejects.toThrow(/corrupt.*NaN/);
  });

  it('reports a blob the store lost as MissingBlobError', async () => {
    const { store, first, v1 } = await twoVersions();
    const hash = buildTree(first).indexes.devices.meter;
    store.missingBlobs.add(hash);
    await expect(checkout(store, v1.id)).rejects.toBeInstanceOf(MissingBlobError);
  });

  it('diff reads and verifies the parts that differ', async () => {
    const { store, first, v1, v2 } = await twoVersions();
    store.tamperedBlobs.set(buildTree(first).root.site, { name: 'forged', timeZone: 'UTC' });
    await expect(diff(store, v1.id, v2.id)).rejects.toBeInstanceOf(CorruptBlobError);
  });

  it('refuses to roll back to a damaged version, leaving head where it was', async () => {
    const { inner, store, first, v1, v2 } = await twoVersions();
    store.tamperedBlobs.set(buildTree(first).indexes.rules['freeze-protection'], { id: 'forged' });
    await expect(rollback(store, v1.id, { author: 'bob', at: minute(9) })).rejects.toBeInstanceOf(
      CorruptBlobError,
    );
    expect(await inner.head()).toBe(v2.id);
    expect(inner.stats().versions).toBe(2);
  });
});

describe('corrupt version records', () => {
  it('detects an altered field (the record no longer hashes to its id)', async () => {
    const { store, v1 } = await twoVersions();
    store.tamperedVersions.set(v1.id, { ...v1, author: 'mallory' });
    await expect(getVersion(store, v1.id)).rejects.toBeInstanceOf(CorruptVersionError);
    await expect(log(store)).rejects.toBeInstanceOf(CorruptVersionError);
  });

  it.each([
    ['a different id', (v: object) => ({ ...v, id: hashOf('other') })],
    ['an unknown kind', (v: object) => ({ ...v, kind: 'merge' })],
    ['an extra field', (v: object) => ({ ...v, extra: 1 })],
    ['rolledBackTo on an edit', (v: object) => ({ ...v, rolledBackTo: hashOf('x') })],
    ['not an object', () => 'v1'],
  ])('detects a record with %s', async (_name, alter) => {
    const { store, v1 } = await twoVersions();
    store.tamperedVersions.set(v1.id, alter(v1));
    await expect(checkout(store, v1.id)).rejects.toBeInstanceOf(CorruptVersionError);
  });
});
