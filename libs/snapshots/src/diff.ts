/**
 * Differences between any two versions (not only adjacent ones), at the
 * granularity of parts and, inside a changed part, down to fields.
 *
 * Content addressing does most of the work: equal root hashes mean no
 * difference at all, an equal index hash skips a whole collection, and equal
 * part hashes skip a part — so only the blobs that differ are ever read.
 *
 * A change's path starts with its section: ['schedules', 'lobby-lights'] for a
 * whole part added or removed, ['schedules', 'lobby-lights', 'weekly',
 * 'monday', 0, 'value'] for a field, ['site', 'timeZone'] for the site. Arrays
 * are compared index by index: a list that grew or shrank reports its extra
 * tail as added or removed. The order is deterministic (sections as in
 * SECTIONS, keys in canonical order, indices ascending), so diff(b, a) is
 * exactly diff(a, b) with every change inverted (invertChanges).
 */
import type { Hash } from './canonical.js';
import { isPlainObject } from './canonical.js';
import type { SnapshotReader, VersionId } from './store.js';
import type { Collection, Configuration, IndexTree, RootTree, Section } from './tree.js';
import { buildTree, COLLECTIONS, loadBlob, readIndex, readRoot } from './tree.js';
import { readVersion } from './version.js';

export type PathSegment = string | number;
export type ChangePath = [Section, ...PathSegment[]];
export type ChangeKind = 'added' | 'removed' | 'changed';

export interface Change {
  path: ChangePath;
  kind: ChangeKind;
  /** For 'removed' and 'changed': the old value. */
  before?: unknown;
  /** For 'added' and 'changed': the new value. */
  after?: unknown;
}

export interface DiffOptions {
  /** 'fields' (default): down to fields inside changed parts; 'parts': one change per changed part. */
  granularity?: 'fields' | 'parts';
}

/** The root and the indexes of the sections whose hashes differ from the other side (others are not read). */
interface TreeView {
  root: RootTree;
  indexes: Partial<Record<Collection, IndexTree>>;
}

/** A part present on at least one side whose hash differs between the sides. */
interface PartPair {
  path: ChangePath;
  before?: Hash;
  after?: Hash;
}

function changedParts(a: TreeView, b: TreeView): PartPair[] {
  const pairs: PartPair[] = [];
  if (a.root.site !== b.root.site) pairs.push({ path: ['site'], before: a.root.site, after: b.root.site });
  for (const section of COLLECTIONS) {
    if (a.root[section] === b.root[section]) continue;
    const before = a.indexes[section]!;
    const after = b.indexes[section]!;
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) {
      const hashBefore = Object.hasOwn(before, key) ? before[key] : undefined;
      const hashAfter = Object.hasOwn(after, key) ? after[key] : undefined;
      if (hashBefore !== hashAfter)
        pairs.push({ path: [section, key], before: hashBefore, after: hashAfter });
    }
  }
  return pairs;
}

/** Reads both roots, then only the indexes of sections that differ. */
async function readViews(store: SnapshotReader, rootA: Hash, rootB: Hash): Promise<[TreeView, TreeView]> {
  const [a, b] = await Promise.all([readRoot(store, rootA), readRoot(store, rootB)]);
  const differing = COLLECTIONS.filter((section) => a[section] !== b[section]);
  const [indexesA, indexesB] = await Promise.all(
    [a, b].map(async (root) => {
      const loaded = await Promise.all(differing.map((section) => readIndex(store, root[section])));
      return Object.fromEntries(differing.map((section, i) => [section, loaded[i]]));
    }),
  );
  return [
    { root: a, indexes: indexesA },
    { root: b, indexes: indexesB },
  ];
}

function pairChanges(
  pair: PartPair,
  load: (hash: Hash) => unknown,
  granularity: 'fields' | 'parts',
  out: Change[],
): void {
  if (pair.before === undefined) {
    out.push({ path: pair.path, kind: 'added', after: load(pair.after!) });
  } else if (pair.after === undefined) {
    out.push({ path: pair.path, kind: 'removed', before: load(pair.before) });
  } else if (granularity === 'parts') {
    out.push({ path: pair.path, kind: 'changed', before: load(pair.before), after: load(pair.after) });
  } else {
    diffValues(pair.path, load(pair.before), load(pair.after), out);
  }
}

/** Appends the field-level changes that turn `before` into `after`, below `path`. */
export function diffValues(path: ChangePath, before: unknown, after: unknown, out: Change[] = []): Change[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) {
      const sub: ChangePath = [...path, key];
      const inBefore = Object.hasOwn(before, key);
      const inAfter = Object.hasOwn(after, key);
      if (!inAfter) out.push({ path: sub, kind: 'removed', before: before[key] });
      else if (!inBefore) out.push({ path: sub, kind: 'added', after: after[key] });
      else diffValues(sub, before[key], after[key], out);
    }
  } else if (Array.isArray(before) && Array.isArray(after)) {
    const common = Math.min(before.length, after.length);
    for (let i = 0; i < common; i++) diffValues([...path, i], before[i], after[i], out);
    for (let i = common; i < before.length; i++)
      out.push({ path: [...path, i], kind: 'removed', before: before[i] });
    for (let i = common; i < after.length; i++)
      out.push({ path: [...path, i], kind: 'added', after: after[i] });
  } else if (before !== after) {
    // Different primitives, or a change of type (object <-> array <-> primitive): the whole value changed.
    out.push({ path, kind: 'changed', before, after });
  }
  return out;
}

/** Differences between two stored versions; reads only the blobs that differ, each verified. */
export async function diff(
  store: SnapshotReader,
  a: VersionId,
  b: VersionId,
  opts: DiffOptions = {},
): Promise<Change[]> {
  const [versionA, versionB] = await Promise.all([readVersion(store, a), readVersion(store, b)]);
  if (versionA.rootHash === versionB.rootHash) return [];
  const [treeA, treeB] = await readViews(store, versionA.rootHash, versionB.rootHash);
  const pairs = changedParts(treeA, treeB);
  const needed = new Set<Hash>();
  for (const pair of pairs) {
    if (pair.before !== undefined) needed.add(pair.before);
    if (pair.after !== undefined) needed.add(pair.after);
  }
  const hashes = [...needed];
  const values = await Promise.all(hashes.map((hash) => loadBlob(store, hash)));
  const loaded = new Map(hashes.map((hash, i) => [hash, values[i]]));
  // Parts with identical content share one blob: hand each change its own copy.
  const load = (hash: Hash): unknown => structuredClone(loaded.get(hash));
  const out: Change[] = [];
  for (const pair of pairs) pairChanges(pair, load, opts.granularity ?? 'fields', out);
  return out;
}

/** The same differences between two configurations in memory (e.g. to preview an edit before committing). */
export function diffConfigurations(a: Configuration, b: Configuration, opts: DiffOptions = {}): Change[] {
  const treeA = buildTree(a);
  const treeB = buildTree(b);
  if (treeA.rootHash === treeB.rootHash) return [];
  const load = (hash: Hash): unknown =>
    structuredClone(treeA.blobs.has(hash) ? treeA.blobs.get(hash) : treeB.blobs.get(hash)); // a part may be null
  const out: Change[] = [];
  for (const pair of changedParts(treeA, treeB)) pairChanges(pair, load, opts.granularity ?? 'fields', out);
  return out;
}

/** The changes that undo `changes`: added and removed swap, before and after swap. */
export function invertChanges(changes: readonly Change[]): Change[] {
  return changes.map((change) => {
    const inverted: Change = {
      path: change.path,
      kind: change.kind === 'added' ? 'removed' : change.kind === 'removed' ? 'added' : 'changed',
    };
    if (change.kind !== 'removed') inverted.before = change.after;
    if (change.kind !== 'added') inverted.after = change.before;
    return inverted;
  });
}
