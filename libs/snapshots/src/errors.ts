/**
 * Named errors with a stable `code`, so the controller maps them to RFC 9457
 * problem details without parsing messages: invalid input (canonical-json,
 * invalid-configuration, invalid-id, invalid-meta, patch-conflict) is a 4xx,
 * unknown-version a 404, head-moved a 409 (the client edited a stale version),
 * and missing-blob / corrupt-blob / corrupt-version / transaction-closed mean
 * the store itself is damaged or misused (5xx). Every refusal happens before
 * anything is written: a refused operation leaves the store as it was.
 */

export type SnapshotErrorCode =
  | 'canonical-json'
  | 'invalid-configuration'
  | 'invalid-id'
  | 'invalid-meta'
  | 'unknown-version'
  | 'head-moved'
  | 'missing-blob'
  | 'corrupt-blob'
  | 'corrupt-version'
  | 'patch-conflict'
  | 'transaction-closed';

export abstract class SnapshotError extends Error {
  abstract readonly code: SnapshotErrorCode;
  /** The concrete class's name (`HeadMovedError`, ...), set here once instead of in every subclass. */
  override readonly name: string = this.constructor.name;
}

/** Renders a path such as ['schedules', 'lobby', 'weekly', 'monday', 0] as `schedules.lobby.weekly.monday[0]`. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '$';
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`,
    )
    .join('');
}

/** A value that has no canonical JSON form: undefined, NaN, ±Infinity, a function, a class instance, a cycle. */
export class CanonicalJsonError extends SnapshotError {
  readonly code = 'canonical-json';
  constructor(
    readonly path: readonly (string | number)[],
    readonly reason: string,
  ) {
    super(`${formatPath(path)}: ${reason}`);
  }
}

/** The configuration does not have the shape the tree layout needs (see tree.ts). */
export class InvalidConfigurationError extends SnapshotError {
  readonly code = 'invalid-configuration';
  constructor(
    readonly path: readonly (string | number)[],
    readonly reason: string,
  ) {
    super(`configuration ${formatPath(path)}: ${reason}`);
  }
}

/** A version id or blob hash that is not 64 lowercase hex digits. */
export class InvalidIdError extends SnapshotError {
  readonly code = 'invalid-id';
  constructor(
    readonly what: string,
    readonly value: unknown,
  ) {
    super(
      `${what} ${JSON.stringify(value) ?? String(value)} is not a SHA-256 hex digest (64 lowercase hex digits)`,
    );
  }
}

/** Commit or rollback metadata (author, message, time, kind, expectedHead) or an option that is malformed. */
export class InvalidMetaError extends SnapshotError {
  readonly code = 'invalid-meta';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`invalid ${field}: ${reason}`);
  }
}

export class UnknownVersionError extends SnapshotError {
  readonly code = 'unknown-version';
  constructor(readonly id: string) {
    super(`unknown version ${id}`);
  }
}

/** Optimistic concurrency: the edit was made from `expected`, but head is now `actual`. */
export class HeadMovedError extends SnapshotError {
  readonly code = 'head-moved';
  constructor(
    readonly expected: string | null,
    readonly actual: string | null,
  ) {
    super(
      `concurrent edit: head moved (expected ${expected ?? 'no version'}, found ${actual ?? 'no version'}); reload and edit again`,
    );
  }
}

/** A tree names a blob the store does not hold. */
export class MissingBlobError extends SnapshotError {
  readonly code = 'missing-blob';
  constructor(readonly hash: string) {
    super(`blob ${hash} is missing from the store`);
  }
}

/** A blob whose content does not hash to its name, or a tree blob of the wrong shape. */
export class CorruptBlobError extends SnapshotError {
  readonly code = 'corrupt-blob';
  constructor(
    readonly hash: string,
    readonly reason: string,
  ) {
    super(`blob ${hash} is corrupt: ${reason}`);
  }
}

/** A stored version record whose content does not hash to its id, or of the wrong shape. */
export class CorruptVersionError extends SnapshotError {
  readonly code = 'corrupt-version';
  constructor(
    readonly id: string,
    readonly reason: string,
  ) {
    super(`version ${id} is corrupt: ${reason}`);
  }
}

/** applyChanges found a value other than the change's `before` at its path. */
export class PatchConflictError extends SnapshotError {
  readonly code = 'patch-conflict';
  constructor(
    readonly path: readonly (string | number)[],
    reason: string,
  ) {
    super(`cannot apply change at ${formatPath(path)}: ${reason}`);
  }
}

/** A transaction handle used after its transaction ended (a leaked `tx`). */
export class TransactionClosedError extends SnapshotError {
  readonly code = 'transaction-closed';
  constructor() {
    super('transaction handle used after its transaction ended');
  }
}
