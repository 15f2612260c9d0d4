/**
 * The buses of one controller, by name: a driver asks for the scheduler of the
 * bus a device sits on (`rtu:/dev/ttyUSB0`, `tcp:10.0.0.5:502`), and every
 * device on that bus shares it. The first request for a name creates it; a
 * later one with a smaller maxInFlight cannot widen what the first allowed.
 */
import { BusScheduler } from './bus-scheduler.js';
import type { BusSchedulerOptions, BusStats } from './bus-scheduler.js';
import type { BreakerOptions } from './breaker.js';
import type { Clock, RandomSource } from './clock.js';

export interface BusDefaults {
  clock?: Clock;
  random?: RandomSource;
  breaker?: BreakerOptions;
}

export type BusOptions = Omit<BusSchedulerOptions, 'name' | 'clock' | 'random'>;

export class BusRegistry {
  private readonly buses = new Map<string, BusScheduler>();

  constructor(private readonly defaults: BusDefaults = {}) {}

  bus(name: string, options: BusOptions): BusScheduler {
    let bus = this.buses.get(name);
    if (!bus) {
      bus = new BusScheduler({
        breaker: this.defaults.breaker,
        ...options,
        name,
        clock: this.defaults.clock,
        random: this.defaults.random,
      });
      this.buses.set(name, bus);
    }
    return bus;
  }

  get(name: string): BusScheduler | undefined {
    return this.buses.get(name);
  }

  stats(): BusStats[] {
    return [...this.buses.values()].map((b) => b.stats);
  }

  async close(): Promise<void> {
    const all = [...this.buses.values()];
    this.buses.clear();
    await Promise.allSettled(all.map((b) => b.close()));
  }
}
