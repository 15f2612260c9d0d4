/**
 * Client-side errors with a kind, and exception names per MODBUS Application
 * Protocol 1.1b3 §7. Callers decide on `kind` (retry, trip a breaker, report a
 * bad address) and never parse messages.
 */

export type ModbusErrorKind = 'timeout' | 'exception' | 'connection' | 'bad-response';

export type ModbusExceptionName =
  | 'illegal-function'
  | 'illegal-data-address'
  | 'illegal-data-value'
  | 'server-device-failure'
  | 'acknowledge'
  | 'server-device-busy'
  | 'memory-parity-error'
  | 'gateway-path-unavailable'
  | 'gateway-target-failed-to-respond'
  | 'unknown-exception';

const EXCEPTION_NAMES: Record<number, ModbusExceptionName> = {
  0x01: 'illegal-function',
  0x02: 'illegal-data-address',
  0x03: 'illegal-data-value',
  0x04: 'server-device-failure',
  0x05: 'acknowledge',
  0x06: 'server-device-busy',
  0x08: 'memory-parity-error',
  0x0a: 'gateway-path-unavailable',
  0x0b: 'gateway-target-failed-to-respond',
};

/** §7 name of an exception code; codes §7 does not define are 'unknown-exception'. */
export function exceptionName(code: number): ModbusExceptionName {
  return EXCEPTION_NAMES[code] ?? 'unknown-exception';
}

export class ModbusError extends Error {
  override readonly name = 'ModbusError';
  readonly exceptionCode?: number;
  readonly exceptionName?: ModbusExceptionName;

  constructor(
    readonly kind: ModbusErrorKind,
    message: string,
    options: { exceptionCode?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.exceptionCode !== undefined) {
      this.exceptionCode = options.exceptionCode;
      this.exceptionName = exceptionName(options.exceptionCode);
    }
  }

  static exception(code: number, context: string, cause?: unknown): ModbusError {
    return new ModbusError('exception', `${context}: Modbus exception ${code} (${exceptionName(code)})`, {
      exceptionCode: code,
      cause,
    });
  }
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EADDRNOTAVAIL',
  'ENOENT',
  'EACCES',
  'EBUSY',
]);

/**
 * Classifies what modbus-serial rejects with. Its shapes (8.0.25): exceptions
 * carry `modbusCode`; timeouts are "Timed out" with errno ETIMEDOUT; a closed
 * port is "Port Not Open" with errno ECONNREFUSED; frames it cannot accept are
 * "CRC error", "Data length error ...", "Unexpected data error ..." (wrong unit
 * id or function code), or a RangeError from parsing a short frame.
 * `phase` 'connect' makes every unclassified error a connection error.
 */
export function toModbusError(err: unknown, context: string, phase: 'connect' | 'request'): ModbusError {
  if (err instanceof ModbusError) return err;
  const e = (err ?? {}) as { message?: unknown; modbusCode?: unknown; errno?: unknown; code?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (typeof e.modbusCode === 'number') return ModbusError.exception(e.modbusCode, context, err);
  if (phase === 'request' && (message === 'Timed out' || e.errno === 'ETIMEDOUT')) {
    return new ModbusError('timeout', `${context}: no response (timed out)`, { cause: err });
  }
  const code = typeof e.code === 'string' ? e.code : typeof e.errno === 'string' ? e.errno : '';
  if (
    phase === 'connect' ||
    CONNECTION_CODES.has(code) ||
    message === 'Port Not Open' ||
    /connection|port is not open|cannot open/i.test(message)
  ) {
    return new ModbusError('connection', `${context}: ${message}`, { cause: err });
  }
  return new ModbusError('bad-response', `${context}: ${message}`, { cause: err });
}
