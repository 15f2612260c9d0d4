/**
 * The write path (DESIGN.md semantics 3): every write is verified by reading
 * the value back, a failed attempt is retried with exponential backoff, and
 * every attempt is reported (callback and returned list), so an alarm or an
 * audit entry can say exactly what happened.
 *
 * Refused before any attempt, never retried: 'not-writable' (a read-only
 * point), 'out-of-range' (outside the point's safe range). Retried: the
 * codes `isRetryable` accepts (by default timeouts, lost connections, garbled
 * replies, an open breaker, a busy device, a read-back that does not match).
 * Anything else (a device error such as illegal-data-address or
 * write-access-denied) ends the write at once: repeating it cannot help.
 */
import { sleep, systemClock } from './clock.js';
import type { Clock, RandomSource } from './clock.js';
import type { FieldbusErrorInfo } from './driver-port.js';
import { FieldbusError, errorInfo } from './errors.js';

export interface WriteAttempt {
  /** 1-based. */
  attempt: number;
  startedAt: number;
  durationMs: number;
  ok: boolean;
  /** The value read back, when the read-back happened. */
  readBack?: number;
  error?: FieldbusErrorInfo;
  /** Wait before the next attempt (failed attempts that will be retried). */
  retryInMs?: number;
}

export interface WriteVerifiedOptions {
  /** What the point is being asked for, engineering units. */
  value: number;
  /** Sends the value once. */
  write: () => Promise<void>;
  /** Reads the point's value as the device now reports it. */
  readBack: () => Promise<number>;
  /** Read-back within ±tolerance of `value` counts as written (the encoding's resolution, see resolution.ts). */
  tolerance: number;
  /** Default true. */
  writable?: boolean;
  safeRange?: { min: number; max: number };
  /** Extra attempts after the first; default 3. */
  retries?: number;
  /** Backoff before attempt n+1: base × 2^(n−1), capped at max, minus up to `jitter` of it; default 200 / 5000 ms, 0.2. */
  backoff?: { baseMs: number; maxMs: number; jitter?: number };
  /** Wait between the write and its read-back, for devices that apply a write asynchronously; default 0. */
  settleMs?: number;
  clock?: Clock;
  random?: RandomSource;
  isRetryable?: (error: FieldbusErrorInfo) => boolean;
  onAttempt?: (attempt: WriteAttempt) => void;
  /** Names the point in error messages, e.g. "ahu-1.supply-temp-sp". */
  label?: string;
}

export interface WriteOutcome {
  value: number;
  readBack: number;
  attempts: WriteAttempt[];
}

/** A write that did not take: the code is the last attempt's (or the refusal's), and every attempt is kept. */
export class WriteFailedError extends FieldbusError {
  constructor(
    info: FieldbusErrorInfo,
    readonly attempts: WriteAttempt[],
  ) {
    super(info);
  }
}

const RETRYABLE = new Set(['timeout', 'connection', 'bad-response', 'breaker-open', 'verify-mismatch']);
const RETRYABLE_EXCEPTIONS = new Set([
  'modbus-exception:server-device-busy',
  'modbus-exception:acknowledge',
  'modbus-exception:server-device-failure',
  'modbus-exception:gateway-path-unavailable',
  'modbus-exception:gateway-target-failed-to-respond',
]);

export function isRetryableWriteError(error: FieldbusErrorInfo): boolean {
  return (
    RETRYABLE.has(error.code) ||
    RETRYABLE_EXCEPTIONS.has(error.code) ||
    error.code.startsWith('bacnet-abort:') ||
    error.code === 'bacnet-error:device/device-busy'
  );
}

export async function writeVerified(o: WriteVerifiedOptions): Promise<WriteOutcome> {
  const clock = o.clock ?? systemClock;
  const random = o.random ?? Math.random;
  const retries = o.retries ?? 3;
  const backoff = o.backoff ?? { baseMs: 200, maxMs: 5000 };
  const isRetryable = o.isRetryable ?? isRetryableWriteError;
  const label = o.label ?? 'point';
  const attempts: WriteAttempt[] = [];

  if (o.writable === false)
    throw new WriteFailedError({ code: 'not-writable', message: `${label} is read-only` }, attempts);
  if (!Number.isFinite(o.value))
    throw new WriteFailedError(
      { code: 'out-of-range', message: `${label}: ${o.value} is not a number` },
      attempts,
    );
  if (o.safeRange && (o.value < o.safeRange.min || o.value > o.safeRange.max))
    throw new WriteFailedError(
      {
        code: 'out-of-range',
        message: `${label}: ${o.value} is outside the safe range ${o.safeRange.min}..${o.safeRange.max}`,
      },
      attempts,
    );

  for (let n = 1; ; n++) {
    const startedAt = clock.now();
    let readBack: number | undefined;
    let error: FieldbusErrorInfo | undefined;
    try {
      await o.write();
      await sleep(clock, o.settleMs ?? 0);
      readBack = await o.readBack();
      if (!(Math.abs(readBack - o.value) <= o.tolerance))
        error = {
          code: 'verify-mismatch',
          message: `${label}: wrote ${o.value}, read back ${readBack} (tolerance ${o.tolerance})`,
        };
    } catch (err) {
      error = errorInfo(err);
    }
    const attempt: WriteAttempt = {
      attempt: n,
      startedAt,
      durationMs: clock.now() - startedAt,
      ok: error === undefined,
      ...(readBack !== undefined ? { readBack } : {}),
      ...(error ? { error } : {}),
    };
    attempts.push(attempt);
    if (!error) {
      o.onAttempt?.(attempt);
      return { value: o.value, readBack: readBack!, attempts };
    }
    if (n > retries || !isRetryable(error)) {
      o.onAttempt?.(attempt);
      const tried = `${n} attempt(s)`;
      throw new WriteFailedError({ code: error.code, message: `${error.message} (${tried})` }, attempts);
    }
    const full = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (n - 1));
    attempt.retryInMs = Math.round(full * (1 - (backoff.jitter ?? 0.2) * random()));
    o.onAttempt?.(attempt);
    await sleep(clock, attempt.retryInMs);
  }
}
