/**
 * The SnapshotStore contract as a reusable suite: every implementation (the
 * in-memory reference here, the controller's SQLite store, the cloud's copy)
 * runs it from its own spec with a factory for a fresh, empty store.
 */
import { describe, expect, it } from '@jest/globals';
import type { SnapshotStore, Version } from '../src/index.js';
import { hashOf, HeadMovedError, UnknownVersionError, versionId } from '../src/index.js';

function fakeVersion(n: number, parent: string | null): Version {
  const fields = {
    parent,
    createdAt: new Date(Date.UTC(2025, 0, 1, 0, n)).toISOString(),
    author: 'contract',
    message: `v${n}`,
    rootHash: hashOf({ n }),
    kind: 'edit' as const,
  };
  return { id: versionId(fields), ...fields };
}

class Boom extends Error {}

export function describeSnapshotStoreContract(name: string, makeStore: () => Promise<SnapshotStore>): void {
  describe(`SnapshotStore contract: ${name}`, () => {
    it('starts empty', async () => {
      const store = await makeStore();
      expect(await store.head()).toBeNull();
      expect(await store.listVersions()).toEqual([]);
      expect(await store.getBlob(hashOf(1))).toBeUndefined();
      expect(await store.getVersion(fakeVersion(1, null).id)).toBeUndefined();
    });

    it('keeps the first content under a hash (putBlobs is idempotent) and returns copies', async () => {
      const store = await makeStore();
      const hash = hashOf({ a: 1 });
      await store.putBlobs(new Map([[hash, { a: 1 }]]));
      await store.putBlobs(new Map([[hash, { a: 2 }]]));
      const first = (await store.getBlob(hash)) as { a: number };
      expect(first).toEqual({ a: 1 });
      first.a = 99;
      expect(await store.getBlob(hash)).toEqual({ a: 1 });
    });

    it('lists versions newest first, with limit and offset; putVersion is idempotent', async () => {
      const store = await makeStore();
      const v1 = fakeVersion(1, null);
      const v2 = fakeVersion(2, v1.id);
      const v3 = fakeVersion(3, v2.id);
      for (const v of [v1, v2, v3, v2]) await store.putVersion(v);
      expect((await store.listVersions()).map((v) => v.id)).toEqual([v3.id, v2.id, v1.id]);
      expect((await store.listVersions({ limit: 1, offset: 1 })).map((v) => v.id)).toEqual([v2.id]);
      expect(await store.getVersion(v2.id)).toEqual(v2);
    });

    it('sets head by compare-and-set only, and only to a stored version', async () => {
      const store = await makeStore();
      const v1 = fakeVersion(1, null);
      const v2 = fakeVersion(2, v1.id);
      await store.putVersion(v1);
      await store.putVersion(v2);
      await expect(store.setHead(null, fakeVersion(9, null).id)).rejects.toBeInstanceOf(UnknownVersionError);
      await store.setHead(null, v1.id);
      await expect(store.setHead(null, v2.id)).rejects.toBeInstanceOf(HeadMovedError);
      expect(await store.head()).toBe(v1.id);
      await store.setHead(v1.id, v2.id);
      expect(await store.head()).toBe(v2.id);
    });

    it('makes a transaction visible all at once, and its own writes visible inside it', async () => {
      const store = await makeStore();
      const v1 = fakeVersion(1, null);
      const hash = hashOf('x');
      let outsideDuring: unknown = 'not read';
      await store.transaction(async (tx) => {
        await tx.putBlobs(new Map([[hash, 'x']]));
        await tx.putVersion(v1);
        await tx.setHead(null, v1.id);
        expect(await tx.getBlob(hash)).toBe('x');
        expect(await tx.head()).toBe(v1.id);
        outsideDuring = await store.head();
      });
      expect(outsideDuring).toBeNull();
      expect(await store.head()).toBe(v1.id);
      expect(await store.getBlob(hash)).toBe('x');
    });

    it('leaves nothing behind when a transaction fails after writing', async () => {
      const store = await makeStore();
      const v1 = fakeVersion(1, null);
      const hash = hashOf('y');
      const failed = store.transaction(async (tx) => {
        await tx.putBlobs(new Map([[hash, 'y']]));
        await tx.putVersion(v1);
        await tx.setHead(null, v1.id);
        throw new Boom('after every write');
      });
      await expect(failed).rejects.toBeInstanceOf(Boom);
      expect(await store.head()).toBeNull();
      expect(await store.getBlob(hash)).toBeUndefined();
      expect(await store.getVersion(v1.id)).toBeUndefined();
      expect(await store.listVersions()).toEqual([]);
    });

    it('serialises transactions: the second sees the first, so a stale compare-and-set fails', async () => {
      const store = await makeStore();
      const a = fakeVersion(1, null);
      const b = fakeVersion(2, null);
      const attempt = (v: Version) =>
        store.transaction(async (tx) => {
          await tx.putVersion(v);
          await new Promise((resolve) => setTimeout(resolve, 5));
          await tx.setHead(null, v.id);
        });
      const results = await Promise.allSettled([attempt(a), attempt(b)]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(HeadMovedError);
      expect(await store.head()).toBe(a.id);
      expect(await store.getVersion(b.id)).toBeUndefined();
    });
  });
}
