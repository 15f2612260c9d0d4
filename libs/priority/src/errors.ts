/**
 * Refusals are named classes with a stable `code`, so the controller maps them
 * to RFC 9457 problem details (4xx) without parsing messages. Every refusal
 * happens before anything changes: a refused command leaves the array as it was.
 */
import type { CommandSource } from './sources.js';
import { SOURCE_SLOTS } from './sources.js';

export type RefusalCode =
  | 'invalid-priority'
  | 'slot-not-owned'
  | 'invalid-command'
  | 'lease-required'
  | 'lease-not-allowed'
  | 'lease-too-long'
  | 'lease-not-found'
  | 'lease-expired'
  | 'not-writable'
  | 'out-of-safe-range'
  | 'no-safe-range'
  | 'not-binary'
  | 'unknown-state';

/** Base of every refused command, relinquish or renewal. */
export abstract class CommandRefusedError extends Error {
  abstract readonly code: RefusalCode;
  /** The concrete class's name (`LeaseRequiredError`, ...), set here once instead of in every subclass. */
  override readonly name: string = this.constructor.name;
  constructor(
    readonly pointRef: string,
    message: string,
  ) {
    super(message);
  }
}

export class InvalidPriorityError extends CommandRefusedError {
  readonly code = 'invalid-priority';
  constructor(pointRef: string, priority: unknown) {
    super(pointRef, `point "${pointRef}": priority ${String(priority)} is not an integer 1..16`);
  }
}

export class SlotNotOwnedError extends CommandRefusedError {
  readonly code = 'slot-not-owned';
  constructor(
    pointRef: string,
    readonly source: CommandSource,
    readonly priority: number,
  ) {
    super(
      pointRef,
      `point "${pointRef}": source ${source} may not use priority ${priority} (its slots: ${SOURCE_SLOTS[source].join(', ')})`,
    );
  }
}

/** Malformed input: a non-finite value or time, an expiry not after now, a non-positive lease. */
export class InvalidCommandError extends CommandRefusedError {
  readonly code = 'invalid-command';
}

export class LeaseRequiredError extends CommandRefusedError {
  readonly code = 'lease-required';
  constructor(pointRef: string) {
    super(pointRef, `point "${pointRef}": a cloud command must carry a lease (leaseMs)`);
  }
}

export class LeaseNotAllowedError extends CommandRefusedError {
  readonly code = 'lease-not-allowed';
  constructor(pointRef: string, source: CommandSource) {
    super(pointRef, `point "${pointRef}": only cloud commands carry leases, not ${source} (use expiresAt)`);
  }
}

export class LeaseTooLongError extends CommandRefusedError {
  readonly code = 'lease-too-long';
  constructor(
    pointRef: string,
    readonly leaseMs: number,
    readonly maxLeaseMs: number,
  ) {
    super(pointRef, `point "${pointRef}": lease of ${leaseMs} ms exceeds the maximum of ${maxLeaseMs} ms`);
  }
}

export class LeaseNotFoundError extends CommandRefusedError {
  readonly code = 'lease-not-found';
  constructor(pointRef: string, priority: number, leaseId: string) {
    super(pointRef, `point "${pointRef}": no lease "${leaseId}" at priority ${priority}`);
  }
}

/** A lease whose time has come cannot be revived by a renewal: the cloud must command again. */
export class LeaseExpiredError extends CommandRefusedError {
  readonly code = 'lease-expired';
  constructor(pointRef: string, priority: number, leaseId: string, expiredAt: number) {
    super(
      pointRef,
      `point "${pointRef}": lease "${leaseId}" at priority ${priority} ended at ${new Date(expiredAt).toISOString()}`,
    );
  }
}

export class NotWritableError extends CommandRefusedError {
  readonly code = 'not-writable';
  constructor(pointRef: string) {
    super(pointRef, `point "${pointRef}" is read-only and cannot be commanded`);
  }
}

export class OutOfSafeRangeError extends CommandRefusedError {
  readonly code = 'out-of-safe-range';
  constructor(
    pointRef: string,
    readonly value: number,
    readonly min: number,
    readonly max: number,
    readonly unit: string,
  ) {
    super(
      pointRef,
      `point "${pointRef}" value ${value} outside safe range ${min}..${max}${unit ? ` ${unit}` : ''}`,
    );
  }
}

/** A writable non-binary point without a safe range cannot be commanded safely (profiles require one). */
export class NoSafeRangeError extends CommandRefusedError {
  readonly code = 'no-safe-range';
  constructor(pointRef: string) {
    super(pointRef, `point "${pointRef}" declares no safe range: commands are refused`);
  }
}

export class NotBinaryValueError extends CommandRefusedError {
  readonly code = 'not-binary';
  constructor(
    pointRef: string,
    readonly value: number,
  ) {
    super(pointRef, `point "${pointRef}" value ${value} is not binary: must be 0 (off) or 1 (on)`);
  }
}

export class UnknownStateError extends CommandRefusedError {
  readonly code = 'unknown-state';
  constructor(
    pointRef: string,
    readonly value: number,
    readonly states: readonly string[],
  ) {
    super(pointRef, `point "${pointRef}" value ${value} is not a declared state (${states.join(', ')})`);
  }
}

/** Persisted JSON that does not describe a valid priority array or output state; `path` names the field. */
export class PriorityFormatError extends Error {
  override readonly name = 'PriorityFormatError';
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}
