/**
 * Named failures of schedule import and export, and their HTTP status:
 *   400 the request names no BACnet device (`not-bacnet`)
 *   404 unknown schedule, calendar or device; the device has no such object
 *       (BACnet object/unknown-object)
 *   409 the device refuses the write (property/write-access-denied)
 *   422 the schedule cannot be carried either way (a wildcard month in a Date,
 *       an unmapped calendar, hundredths of a second), or the device object
 *       holds what a Schedule may not (mixed datatypes)
 *   502 any other device error, reject or abort, or an undecodable answer
 *   504 the device did not answer
 * A write refused after other properties went through keeps the refusal's
 * status; what was written before it is put back (libs/bacnet
 * PartialWriteError, whose message the detail carries), naming per property
 * whether its old value went back.
 */
import { BacnetError } from '#libs/bacnet';
import { BacnetConversionError, formatScheduleIssue } from '#libs/schedules';

export type ScheduleTransferCode =
  | 'unknown-schedule'
  | 'unknown-calendar'
  | 'unknown-device'
  | 'not-bacnet'
  | 'unknown-object'
  | 'write-access-denied'
  | 'not-convertible'
  | 'device-error'
  | 'device-timeout';

const STATUS: Record<ScheduleTransferCode, number> = {
  'unknown-schedule': 404,
  'unknown-calendar': 404,
  'unknown-device': 404,
  'not-bacnet': 400,
  'unknown-object': 404,
  'write-access-denied': 409,
  'not-convertible': 422,
  'device-error': 502,
  'device-timeout': 504,
};

export class ScheduleTransferError extends Error {
  override readonly name = 'ScheduleTransferError';
  constructor(
    readonly code: ScheduleTransferCode,
    message: string,
    /** The device's own error, as `kind` and `class/code` (e.g. error property/write-access-denied). */
    readonly bacnet?: { kind: string; errorClass?: string; errorCode?: string },
  ) {
    super(message);
  }

  get status(): number {
    return STATUS[this.code];
  }

  /** A device call failed: BacnetErrors keep their class and code; anything else is rethrown as is. */
  static fromDevice(err: unknown, what: string): unknown {
    if (!(err instanceof BacnetError)) return err;
    const bacnet = { kind: err.kind, errorClass: err.errorClass, errorCode: err.errorCode };
    const named =
      err.kind === 'timeout'
        ? 'device-timeout'
        : err.errorClass === 'object' && err.errorCode === 'unknown-object'
          ? 'unknown-object'
          : err.errorCode === 'write-access-denied'
            ? 'write-access-denied'
            : err.errorCode === 'invalid-data-type'
              ? 'not-convertible'
              : 'device-error';
    return new ScheduleTransferError(named, `${what}: ${err.message}`, bacnet);
  }

  static fromConversion(err: unknown): unknown {
    if (!(err instanceof BacnetConversionError)) return err;
    return new ScheduleTransferError('not-convertible', err.issues.map(formatScheduleIssue).join('; '));
  }
}
