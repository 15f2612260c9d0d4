/**
 * The configuration as a tree of content-addressed blobs (DESIGN.md point 8).
 *
 * Layout (every box is one blob, named by the SHA-256 of its canonical JSON):
 *
 *   root        { format: 1, site: H, devices: H, profiles: H, schedules: H,
 *                 calendars: H, rules: H, overrides: H }
 *   site        the site part itself: { name, timeZone, ...other site-level fields }
 *   <section>   an index { <key>: H, ... } per collection, whose blobs are the parts:
 *     devices     key = device id          -> one blob per device (SiteDevice)
 *     profiles    key = the device's `profile` reference (e.g. modbus/eastron/sdm630.yaml)
 *                                         -> one blob per profile, points included
 *     schedules   key = schedule id        -> one blob per schedule
 *     calendars   key = calendar name      -> one blob per calendar
 *     rules       key = rule id            -> one blob per interlock rule
 *     overrides   key = point reference    -> one blob per point with active overrides
 *
 * Why two levels: editing one schedule writes exactly three new blobs — the
 * schedule, the schedules index and the root — and shares every other blob
 * with the old version (copy-on-write), while the root stays eight hashes long
 * however large the building is; an index is rewritten only when its own
 * collection changes. Identical parts are stored once (every empty collection
 * is the same blob `{}`), and two versions whose root hashes are equal hold
 * identical configurations, whatever order their keys were written in.
 *
 * The library does not interpret parts beyond this layout: the controller
 * validates devices, profiles, schedules and rules with their own libraries
 * before committing. Points live inside their profile, as the devices use them.
 */
import type { Hash } from './canonical.js';
import { canonicalJsonAt, isHash, isPlainObject, sha256Hex } from './canonical.js';
import {
  CanonicalJsonError,
  CorruptBlobError,
  InvalidConfigurationError,
  MissingBlobError,
} from './errors.js';
import type { SnapshotReader } from './store.js';

export const TREE_FORMAT = 1;
export const COLLECTIONS = ['devices', 'profiles', 'schedules', 'calendars', 'rules', 'overrides'] as const;
export type Collection = (typeof COLLECTIONS)[number];
export const SECTIONS = ['site', ...COLLECTIONS] as const;
export type Section = (typeof SECTIONS)[number];

/** Site-level settings; any further site-level fields are kept as they are. */
export interface SiteSettings {
  name: string;
  /** IANA time zone, e.g. Europe/Berlin. */
  timeZone: string;
}

/** The whole configuration. Parts are plain JSON data (see canonical.ts for what is refused). */
export interface Configuration {
  site: SiteSettings;
  devices: Record<string, unknown>;
  profiles: Record<string, unknown>;
  schedules: Record<string, unknown>;
  calendars: Record<string, unknown>;
  rules: Record<string, unknown>;
  overrides: Record<string, unknown>;
}

export type RootTree = { format: typeof TREE_FORMAT } & Record<Section, Hash>;
export type IndexTree = Record<string, Hash>;

export interface BuiltTree {
  rootHash: Hash;
  root: RootTree;
  indexes: Record<Collection, IndexTree>;
  /** Every blob of the tree (root, indexes, parts), by hash. */
  blobs: Map<Hash, unknown>;
}

/** Throws InvalidConfigurationError naming the first problem with the configuration's shape. */
export function validateConfiguration(config: unknown): asserts config is Configuration {
  if (!isPlainObject(config)) throw new InvalidConfigurationError([], 'must be a plain object');
  for (const key of Object.keys(config)) {
    if (!(SECTIONS as readonly string[]).includes(key))
      throw new InvalidConfigurationError([key], `unknown section (expected ${SECTIONS.join(', ')})`);
  }
  const site = config.site;
  if (!isPlainObject(site)) throw new InvalidConfigurationError(['site'], 'must be a plain object');
  for (const field of ['name', 'timeZone'] as const) {
    if (typeof site[field] !== 'string' || site[field] === '')
      throw new InvalidConfigurationError(['site', field], 'must be a non-empty string');
  }
  for (const section of COLLECTIONS) {
    const parts = config[section];
    if (!isPlainObject(parts))
      throw new InvalidConfigurationError([section], 'must be a plain object keyed by id');
    if (Object.keys(parts).includes('')) throw new InvalidConfigurationError([section, ''], 'empty key');
  }
}

/** Splits a configuration into its blobs; pure, and throws before anything could be written. */
export function buildTree(config: Configuration): BuiltTree {
  validateConfiguration(config);
  const blobs = new Map<Hash, unknown>();
  const add = (value: unknown, path: string[]): Hash => {
    const text = canonicalJsonAt(value, path);
    const hash = sha256Hex(text);
    if (!blobs.has(hash)) blobs.set(hash, JSON.parse(text));
    return hash;
  };
  const indexes = {} as Record<Collection, IndexTree>;
  const root = { format: TREE_FORMAT, site: add(config.site, ['site']) } as RootTree;
  for (const section of COLLECTIONS) {
    const parts = config[section];
    const index = Object.fromEntries<Hash>(
      Object.keys(parts).map((key) => [key, add(parts[key], [section, key])]),
    );
    indexes[section] = index;
    root[section] = add(index, [section]);
  }
  return { rootHash: add(root, []), root, indexes, blobs };
}

/** The root hash a configuration would get: equal exactly for equal configurations. */
export function configurationHash(config: Configuration): Hash {
  return buildTree(config).rootHash;
}

/** Reads a blob and proves it is what its name says. */
export async function loadBlob(reader: SnapshotReader, hash: Hash): Promise<unknown> {
  if (!isHash(hash)) throw new CorruptBlobError(String(hash), 'a tree names it, but it is not a hash');
  const value = await reader.getBlob(hash);
  if (value === undefined) throw new MissingBlobError(hash);
  let text: string;
  try {
    text = canonicalJsonAt(value, []);
  } catch (error) {
    if (error instanceof CanonicalJsonError) throw new CorruptBlobError(hash, error.message);
    throw error;
  }
  const actual = sha256Hex(text);
  if (actual !== hash) throw new CorruptBlobError(hash, `content hashes to ${actual}`);
  return value;
}

export async function readRoot(reader: SnapshotReader, hash: Hash): Promise<RootTree> {
  const value = await loadBlob(reader, hash);
  if (!isPlainObject(value)) throw new CorruptBlobError(hash, 'root tree is not an object');
  if (value.format !== TREE_FORMAT)
    throw new CorruptBlobError(hash, `root tree format ${String(value.format)}, expected ${TREE_FORMAT}`);
  const keys = Object.keys(value).sort();
  const expected = ['format', ...SECTIONS].sort();
  if (keys.join() !== expected.join())
    throw new CorruptBlobError(hash, `root tree keys ${keys.join(', ')}, expected ${expected.join(', ')}`);
  for (const section of SECTIONS) {
    if (!isHash(value[section])) throw new CorruptBlobError(hash, `root tree entry ${section} is not a hash`);
  }
  return value as RootTree;
}

export async function readIndex(reader: SnapshotReader, hash: Hash): Promise<IndexTree> {
  const value = await loadBlob(reader, hash);
  if (!isPlainObject(value)) throw new CorruptBlobError(hash, 'index tree is not an object');
  for (const [key, entry] of Object.entries(value)) {
    if (key === '' || !isHash(entry))
      throw new CorruptBlobError(hash, `index entry ${JSON.stringify(key)} is not a hash`);
  }
  return value as IndexTree;
}

/** The root and every index of a tree (small blobs: hashes only), verified. */
export async function readIndexes(
  reader: SnapshotReader,
  rootHash: Hash,
): Promise<{ root: RootTree; indexes: Record<Collection, IndexTree> }> {
  const root = await readRoot(reader, rootHash);
  const loaded = await Promise.all(COLLECTIONS.map((section) => readIndex(reader, root[section])));
  const indexes = Object.fromEntries(COLLECTIONS.map((section, i) => [section, loaded[i]])) as Record<
    Collection,
    IndexTree
  >;
  return { root, indexes };
}

/** Every blob hash a tree references, root included. */
export async function treeHashes(reader: SnapshotReader, rootHash: Hash): Promise<Set<Hash>> {
  const { root, indexes } = await readIndexes(reader, rootHash);
  const hashes = new Set<Hash>([rootHash, ...SECTIONS.map((section) => root[section])]);
  for (const section of COLLECTIONS) for (const hash of Object.values(indexes[section])) hashes.add(hash);
  return hashes;
}

export async function readSite(reader: SnapshotReader, hash: Hash): Promise<SiteSettings> {
  const site = await loadBlob(reader, hash);
  if (!isPlainObject(site) || typeof site.name !== 'string' || typeof site.timeZone !== 'string')
    throw new CorruptBlobError(hash, 'site part lacks name or timeZone');
  return site as unknown as SiteSettings;
}

/** Reads a collection's parts by index, each verified against its hash. */
export async function readParts(reader: SnapshotReader, index: IndexTree): Promise<Record<string, unknown>> {
  const keys = Object.keys(index);
  const values = await Promise.all(keys.map((key) => loadBlob(reader, index[key])));
  return Object.fromEntries(keys.map((key, i) => [key, values[i]]));
}

/** The whole configuration stored under `rootHash`, every blob verified. */
export async function readConfiguration(reader: SnapshotReader, rootHash: Hash): Promise<Configuration> {
  const { root, indexes } = await readIndexes(reader, rootHash);
  const [site, ...collections] = await Promise.all([
    readSite(reader, root.site),
    ...COLLECTIONS.map((section) => readParts(reader, indexes[section])),
  ]);
  const config = { site } as Configuration;
  COLLECTIONS.forEach((section, i) => {
    config[section] = collections[i];
  });
  return config;
}
