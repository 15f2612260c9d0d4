/**
 * BACnet failures as named fieldbus errors (libs/fieldbus driver-port.ts):
 * an Error PDU becomes `bacnet-error:<class>/<code>` (ASHRAE 135 §21
 * BACnetErrorClass / BACnetErrorCode, kebab-case), a Reject PDU
 * `bacnet-reject:<reason>`, an Abort PDU `bacnet-abort:<reason>`; a silent
 * device is 'timeout', an undecodable, truncated or oversized answer
 * 'bad-response', a closed client 'connection'. The BacnetError stays the
 * FieldbusError's cause, so the batch reader can still tell them apart.
 */
import { BacnetError } from '#libs/bacnet';
import { FieldbusError } from '#libs/fieldbus';

export function toFieldbusError(err: unknown): FieldbusError {
  if (err instanceof FieldbusError) return err;
  if (err instanceof BacnetError) return new FieldbusError(codeOf(err), err.message, { cause: err });
  // Our own checks before anything is sent: a priority outside 1..16, a value the datatype cannot carry.
  if (err instanceof RangeError) return new FieldbusError('out-of-range', err.message, { cause: err });
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new FieldbusError('internal', message, { cause: err });
}

function codeOf(err: BacnetError): string {
  switch (err.kind) {
    case 'timeout':
      return 'timeout';
    case 'decode':
      return 'bad-response';
    case 'error':
      return err.errorClass && err.errorCode
        ? `bacnet-error:${err.errorClass}/${err.errorCode}`
        : 'bad-response';
    case 'reject':
      return `bacnet-reject:${err.errorCode ?? 'other'}`;
    case 'abort':
      // An abort without a reason is our own client closing, not the device.
      return err.errorCode ? `bacnet-abort:${err.errorCode}` : 'connection';
  }
}

/** The device said it does not execute this service (a Reject, or the Error PDU some stacks send instead). */
export function isServiceRefusal(code: string): boolean {
  return (
    code === 'bacnet-reject:unrecognized-service' ||
    code === 'bacnet-error:services/reject-unrecognized-service' ||
    code === 'bacnet-error:services/service-request-denied'
  );
}
