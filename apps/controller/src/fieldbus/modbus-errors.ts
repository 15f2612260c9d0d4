/**
 * Modbus failures as named fieldbus errors. The §7 exception names
 * (MODBUS Application Protocol 1.1b3) become `modbus-exception:<name>`;
 * a silent device is 'timeout', a lost socket or serial port 'connection',
 * a garbled, truncated or wrong-unit reply 'bad-response'.
 */
import { FieldbusError } from '#libs/fieldbus';
import { ModbusCodecError, ModbusError } from '#libs/modbus';
import type { ReadFailureVerdict } from '#libs/modbus';

export function toFieldbusError(err: unknown): FieldbusError {
  if (err instanceof FieldbusError) return err;
  if (err instanceof ModbusError) {
    const code = err.kind === 'exception' ? `modbus-exception:${err.exceptionName}` : err.kind;
    return new FieldbusError(code, err.message, { cause: err });
  }
  // A value the point's encoding cannot hold, or a register value out of 0..65535.
  if (err instanceof ModbusCodecError || err instanceof RangeError)
    return new FieldbusError('out-of-range', err.message, { cause: err });
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new FieldbusError('internal', message, { cause: err });
}

/** Worth another attempt within the same request: the device may answer next time. */
export function isTransient(err: FieldbusError): boolean {
  return (
    err.code === 'timeout' ||
    err.code === 'bad-response' ||
    err.code === 'modbus-exception:server-device-busy' ||
    err.code === 'modbus-exception:acknowledge'
  );
}

/**
 * What a refused read means for the planner. Illegal data address (and illegal
 * data value, which some devices answer for a quantity beyond their own limit)
 * on a coalesced request: split it and learn. Other exceptions: the device
 * refuses these points. Anything else: the device did not answer.
 */
export function classifyReadFailure(err: unknown): ReadFailureVerdict {
  const code = toFieldbusError(err).code;
  if (code === 'modbus-exception:illegal-data-address' || code === 'modbus-exception:illegal-data-value')
    return 'split';
  return code.startsWith('modbus-exception:') ? 'points' : 'device';
}
