/**
 * Named BACnet errors. The library reports a peer's Error PDU only as text
 * (`BacnetError - Class:2 - Code:31`) and a Reject PDU as an abort
 * (`BacnetAbort - Reason:9`) — STACK.md trap 3. We turn both into a
 * BacnetError whose class and code are kebab-case names of ASHRAE 135 §21
 * BACnetErrorClass / BACnetErrorCode (or the reject / abort reason).
 */
import { abortReasonName, errorClassName, errorCodeName, rejectReasonName } from './names.js';

export type BacnetErrorKind = 'timeout' | 'error' | 'reject' | 'abort' | 'decode';

export class BacnetError extends Error {
  override readonly name = 'BacnetError';
  constructor(
    readonly kind: BacnetErrorKind,
    message: string,
    readonly errorClass?: string,
    readonly errorCode?: string,
  ) {
    super(message);
  }
}

/** True when the peer said it does not implement the service (Reject, or the Error PDU some stacks send instead). */
export function isUnsupportedService(err: unknown): boolean {
  if (!(err instanceof BacnetError)) return false;
  if (err.kind === 'reject') return err.errorCode === 'unrecognized-service';
  return err.kind === 'error' && err.errorCode === 'reject-unrecognized-service';
}

const ERROR_TEXT = /BacnetError - Class:(\d+) - Code:(\d+)/;
const ABORT_TEXT = /BacnetAbort - Reason:(\d+)/;

/**
 * Converts whatever the library threw into a BacnetError.
 * @param context what was asked of whom, for the message ('read-property analog-value:1 present-value at 127.0.0.1:47850')
 * @param rejected true when the transport saw a Reject PDU (not an Abort) for this request's invoke id
 */
export function toBacnetError(err: unknown, context: string, rejected = false): BacnetError {
  if (err instanceof BacnetError) return err;
  const message =
    typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  const text = typeof message === 'string' ? message : String(err);
  const e = ERROR_TEXT.exec(text);
  if (e) {
    const cls = errorClassName(Number(e[1]));
    const code = errorCodeName(Number(e[2]));
    return new BacnetError('error', `BACnet error ${cls}/${code}: ${context}`, cls, code);
  }
  const a = ABORT_TEXT.exec(text);
  if (a) {
    const reason = Number(a[1]);
    if (rejected) {
      const code = rejectReasonName(reason);
      return new BacnetError('reject', `BACnet reject ${code}: ${context}`, undefined, code);
    }
    const code = abortReasonName(reason);
    return new BacnetError('abort', `BACnet abort ${code}: ${context}`, undefined, code);
  }
  if (text === 'ERR_TIMEOUT') return timeoutError(context);
  if (text === 'INVALID_DECODING') return new BacnetError('decode', `undecodable BACnet answer: ${context}`);
  // The library's decoders throw TypeError/RangeError (Node's ERR_OUT_OF_RANGE) on truncated or malformed
  // answers. By name, not instanceof: Node's own errors come from another realm under a VM (jest).
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  if (name === 'TypeError' || name === 'RangeError') {
    return new BacnetError('decode', `undecodable BACnet answer (${text}): ${context}`);
  }
  return new BacnetError('error', `BACnet request failed (${text}): ${context}`);
}

export function timeoutError(context: string, ms?: number): BacnetError {
  return new BacnetError(
    'timeout',
    `no BACnet answer${ms === undefined ? '' : ` within ${ms} ms`}: ${context}`,
  );
}

/**
 * Runs a listener or handler that is called from inside the socket's message
 * handler or a timer: if it throws, the error becomes a process warning rather
 * than an uncaught exception that takes the transport (and the process) down.
 */
export function notifySafely<T>(listener: (arg: T) => void, arg: T): void {
  try {
    listener(arg);
  } catch (err) {
    process.emitWarning(
      `BACnet listener threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
  }
}
