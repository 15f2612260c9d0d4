/**
 * The devices of one bus as its scheduler (bus-scheduler.ts) sees them: each
 * device's circuit breaker (breaker.ts) and inter-request delay, and the
 * error a request gets while its device's breaker holds it back. Kept apart
 * from the queue and the pump, which only ask these questions.
 */
import { CircuitBreaker } from './breaker.js';
import type { BreakerOptions, BreakerSnapshot } from './breaker.js';
import type { DeviceSchedulingOptions } from './bus-scheduler-types.js';
import type { Clock, RandomSource } from './clock.js';
import { FieldbusError } from './errors.js';

export const DEFAULT_BREAKER: BreakerOptions = { baseMs: 1000, maxMs: 30000 };

export class BusDevices {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly delays = new Map<string, number>();

  constructor(
    private readonly busName: string,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly defaults: BreakerOptions = DEFAULT_BREAKER,
  ) {
    new CircuitBreaker(defaults, random); // validates the options now, not at the first failure
  }

  /** Sets a device's breaker and inter-request delay; later calls replace earlier ones. */
  configure(deviceKey: string, options: DeviceSchedulingOptions): void {
    if (options.breaker) this.breaker(deviceKey).reconfigure(options.breaker);
    if (options.interRequestDelayMs !== undefined) this.delays.set(deviceKey, options.interRequestDelayMs);
  }

  /** The device's breaker, made with the bus's defaults on first use. */
  breaker(deviceKey: string): CircuitBreaker {
    let b = this.breakers.get(deviceKey);
    if (!b) {
      b = new CircuitBreaker(this.defaults, this.random);
      this.breakers.set(deviceKey, b);
    }
    return b;
  }

  /** The device's own silence after each of its requests, ms (0 unless configured). */
  delayMs(deviceKey: string): number {
    return this.delays.get(deviceKey) ?? 0;
  }

  breakerState(deviceKey: string): BreakerSnapshot {
    return this.breaker(deviceKey).snapshot(this.clock.now());
  }

  /** What a request refused by the device's open breaker fails with: how many failures, the last, when it tries again. */
  breakerOpen(deviceKey: string, s: BreakerSnapshot): FieldbusError {
    const last = s.lastError ? ` (last: ${s.lastError.code})` : '';
    const wait =
      s.retryAt === null
        ? ''
        : `, next attempt in ${Math.max(0, Math.round(s.retryAt - this.clock.now()))} ms`;
    return new FieldbusError(
      'breaker-open',
      `device ${deviceKey} on bus ${this.busName}: breaker open after ${s.failures} failure(s)${last}${wait}`,
    );
  }
}
