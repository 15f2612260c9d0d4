/**
 * Named fieldbus errors. Every failure a driver or the framework reports is a
 * FieldbusError whose `code` is stable and machine-readable (see
 * FieldbusErrorInfo in driver-port.ts); callers branch on the code, never on
 * the message, and the code is what lands on a point's quality flag.
 */
import type { FieldbusErrorInfo } from './driver-port.js';

export class FieldbusError extends Error {
  override readonly name = 'FieldbusError';
  readonly info: FieldbusErrorInfo;

  constructor(info: FieldbusErrorInfo, options?: { cause?: unknown });
  constructor(code: string, message: string, options?: { cause?: unknown });
  constructor(
    codeOrInfo: string | FieldbusErrorInfo,
    messageOrOptions?: string | { cause?: unknown },
    maybeOptions?: { cause?: unknown },
  ) {
    const info =
      typeof codeOrInfo === 'string'
        ? { code: codeOrInfo, message: typeof messageOrOptions === 'string' ? messageOrOptions : codeOrInfo }
        : { code: codeOrInfo.code, message: codeOrInfo.message };
    const options = typeof messageOrOptions === 'object' ? messageOrOptions : maybeOptions;
    super(
      `${info.code}: ${info.message}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.info = info;
  }

  get code(): string {
    return this.info.code;
  }
}

/**
 * Codes meaning "the device as a whole did not answer": they trip the
 * device's breaker and turn every point of the device comm-fail. Anything
 * else (an exception reply, a BACnet error PDU) proves the device is alive.
 */
export const DEVICE_FAILURE_CODES: ReadonlySet<string> = new Set(['timeout', 'connection', 'bad-response']);

export function isDeviceFailure(err: unknown): boolean {
  return err instanceof FieldbusError && DEVICE_FAILURE_CODES.has(err.code);
}

/** The named form of anything thrown: a FieldbusError's own info, or 'internal' for a bug or a foreign error. */
export function errorInfo(err: unknown): FieldbusErrorInfo {
  if (err instanceof FieldbusError) return { ...err.info };
  if (err instanceof Error) return { code: 'internal', message: `${err.name}: ${err.message}` };
  return { code: 'internal', message: String(err) };
}
