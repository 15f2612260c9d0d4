/**
 * Errors of the command path that libs/priority does not name: the point does
 * not exist, or the verified write behind an accepted command failed.
 * Refusals of the command itself are libs/priority's CommandRefusedError.
 */
import type { FieldbusErrorInfo } from '#libs/fieldbus';

export class UnknownPointError extends Error {
  override readonly name = 'UnknownPointError';
  constructor(
    readonly pointId: string,
    readOnly = false,
  ) {
    super(
      readOnly
        ? `point "${pointId}" is read-only and has no priority array`
        : `no point "${pointId}" (ids are deviceId.pointId)`,
    );
  }
}

/** The device did not take the write (after retries): nothing of the command was kept. */
export class CommandWriteFailedError extends Error {
  override readonly name = 'CommandWriteFailedError';
  constructor(
    readonly pointId: string,
    readonly failure: FieldbusErrorInfo,
  ) {
    super(
      `point "${pointId}": write failed (${failure.code}): ${failure.message}; the command was not applied`,
    );
  }
}

/** The controller is shutting down: the operation was not started (HTTP 503). */
export class ShuttingDownError extends Error {
  override readonly name = 'ShuttingDownError';
  constructor(readonly pointId: string) {
    super(`point "${pointId}": the controller is shutting down; nothing was done`);
  }
}
