import { describe, expect, it } from '@jest/globals';
import { describeSnapshotStoreContract } from '../test-support/store-contract.js';
import { hashOf } from './canonical.js';
import { TransactionClosedError } from './errors.js';
import { InMemorySnapshotStore } from './memory-store.js';
import type { SnapshotWriter } from './store.js';

describeSnapshotStoreContract('InMemorySnapshotStore', () => Promise.resolve(new InMemorySnapshotStore()));

describe('InMemorySnapshotStore specifics', () => {
  it('refuses a transaction handle used after its transaction ended', async () => {
    const store = new InMemorySnapshotStore();
    let leaked: SnapshotWriter | undefined;
    await store.transaction((tx) => {
      leaked = tx;
      return Promise.resolve();
    });
    await expect(leaked!.putBlobs(new Map([[hashOf(1), 1]]))).rejects.toBeInstanceOf(TransactionClosedError);
    expect(store.stats()).toEqual({ blobs: 0, versions: 0 });
  });

  it('runs the next transaction after a failed one', async () => {
    const store = new InMemorySnapshotStore();
    await expect(store.transaction(() => Promise.reject(new Error('first fails')))).rejects.toThrow(
      'first fails',
    );
    await store.putBlobs(new Map([[hashOf(2), 2]]));
    expect(store.stats().blobs).toBe(1);
    expect(store.blobHashes()).toEqual(new Set([hashOf(2)]));
  });
});
