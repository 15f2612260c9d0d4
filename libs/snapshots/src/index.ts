/**
 * libs/snapshots (issue 4 item 7, DESIGN.md point 8): the configuration as
 * immutable, content-addressed versions with copy-on-write sharing, atomic
 * commits, diff of any two versions and rollback as a new version. Pure: the
 * storage is a port (SnapshotStore) the apps implement; time is passed in.
 */
export type { Hash, JsonObject, JsonPrimitive, JsonValue } from './canonical.js';
export { canonicalJson, cloneJson, hashOf, isHash, jsonEquals, sha256Hex } from './canonical.js';
export {
  CanonicalJsonError,
  CorruptBlobError,
  CorruptVersionError,
  formatPath,
  HeadMovedError,
  InvalidConfigurationError,
  InvalidIdError,
  InvalidMetaError,
  MissingBlobError,
  PatchConflictError,
  SnapshotError,
  TransactionClosedError,
  UnknownVersionError,
} from './errors.js';
export type { SnapshotErrorCode } from './errors.js';
export type {
  ListVersionsOptions,
  SnapshotReader,
  SnapshotStore,
  SnapshotWriter,
  Version,
  VersionId,
  VersionKind,
} from './store.js';
export { InMemorySnapshotStore } from './memory-store.js';
export { SnapshotStoreBase } from './store-base.js';
export {
  buildTree,
  COLLECTIONS,
  configurationHash,
  readConfiguration,
  SECTIONS,
  TREE_FORMAT,
  treeHashes,
  validateConfiguration,
} from './tree.js';
export type {
  BuiltTree,
  Collection,
  Configuration,
  IndexTree,
  RootTree,
  Section,
  SiteSettings,
} from './tree.js';
export { versionId } from './version.js';
export { checkout, commit, getVersion, headVersion, log, rollback } from './operations.js';
export type { CommitMeta, CommitResult, LogOptions, RollbackMeta } from './operations.js';
export { diff, diffConfigurations, diffValues, invertChanges } from './diff.js';
export type { Change, ChangeKind, ChangePath, DiffOptions, PathSegment } from './diff.js';
export { applyChanges } from './patch.js';
