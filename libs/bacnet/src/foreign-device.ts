/**
 * Foreign-device registration with a BBMD (ASHRAE 135 Annex J.5.2): a device
 * on another IP subnet registers with the BBMD of the BACnet network it wants
 * to join, with a time-to-live; the BBMD then forwards that network's
 * broadcasts to it as Forwarded-NPDUs, and takes its broadcasts as
 * Distribute-Broadcast-To-Network. The BBMD drops the entry TTL + 30 s after
 * the last registration (J.5.2.3), so we re-register at half the TTL, and
 * keep retrying (at the same pace) while the BBMD does not answer or NAKs.
 */
import { BacnetError } from './errors.js';
import { comparablePeer } from './transactions.js';
import { BVLC_RESULT, decodeBvlcResult, encodeRegisterForeignDevice } from './wire.js';

export interface ForeignDeviceStatus {
  bbmd: string;
  ttlSeconds: number;
  registered: boolean;
  /** Successful registrations so far (the first, then one per renewal). */
  registrations: number;
  /** Epoch ms of the last successful registration. */
  lastRegisteredAt?: number;
  /** Why the last attempt failed, when it did. */
  lastError?: string;
}

export interface ForeignDeviceTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const realTimers: ForeignDeviceTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  now: () => Date.now(),
};

export class ForeignDeviceRegistration {
  private waiting?: { resolve: () => void; reject: (e: Error) => void; timer: unknown };
  private renewTimer?: unknown;
  private stopped = false;
  private readonly s: ForeignDeviceStatus;
  private readonly bbmd: string;

  constructor(
    private readonly o: {
      bbmd: string;
      ttlSeconds: number;
      timeoutMs: number;
      send: (frame: Buffer, to: string) => void;
      timers?: ForeignDeviceTimers;
    },
  ) {
    this.bbmd = comparablePeer(o.bbmd) ?? o.bbmd;
    this.s = { bbmd: this.bbmd, ttlSeconds: o.ttlSeconds, registered: false, registrations: 0 };
    encodeRegisterForeignDevice(o.ttlSeconds); // validates the TTL at construction
  }

  private get timers(): ForeignDeviceTimers {
    return this.o.timers ?? realTimers;
  }

  status(): ForeignDeviceStatus {
    return { ...this.s };
  }

  /** Registers once now (resolves or rejects with the outcome), then keeps the registration alive. */
  async start(): Promise<void> {
    try {
      await this.registerOnce();
    } finally {
      this.scheduleRenewal();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.renewTimer !== undefined) this.timers.clearTimeout(this.renewTimer);
    this.settle(new BacnetError('abort', `foreign-device registration with ${this.o.bbmd} stopped`));
  }

  /** Transport hook: a BVLC-Result from the BBMD answers our pending registration. */
  handle(buf: Buffer, from: string): boolean {
    const code = decodeBvlcResult(buf);
    if (code === undefined || from !== this.bbmd || !this.waiting) return false;
    if (code === BVLC_RESULT.SUCCESS) this.settle();
    else if (code === BVLC_RESULT.REGISTER_FOREIGN_DEVICE_NAK) {
      this.settle(
        new BacnetError(
          'error',
          `BBMD ${this.o.bbmd} refused foreign-device registration (BVLC-Result 0x0030)`,
          'communication',
          'register-foreign-device-failed',
        ),
      );
    } else return false; // another NAK (e.g. for a Distribute-Broadcast-To-Network): not ours
    return true;
  }

  private registerOnce(): Promise<void> {
    if (this.stopped) return Promise.reject(new BacnetError('abort', 'foreign-device registration stopped'));
    if (this.waiting) return Promise.reject(new Error('a registration is already in flight'));
    return new Promise<void>((resolve, reject) => {
      const timer = this.timers.setTimeout(
        () =>
          this.settle(
            new BacnetError(
              'timeout',
              `no BVLC-Result from BBMD ${this.o.bbmd} within ${this.o.timeoutMs} ms (Register-Foreign-Device)`,
            ),
          ),
        this.o.timeoutMs,
      );
      this.waiting = { resolve, reject, timer };
      this.o.send(encodeRegisterForeignDevice(this.o.ttlSeconds), this.bbmd);
    });
  }

  private settle(err?: Error): void {
    const w = this.waiting;
    if (!w) return;
    this.waiting = undefined;
    this.timers.clearTimeout(w.timer);
    if (err) {
      this.s.registered = this.s.registered && this.stillAlive();
      this.s.lastError = err.message;
      w.reject(err);
    } else {
      this.s.registered = true;
      this.s.registrations++;
      this.s.lastRegisteredAt = this.timers.now();
      delete this.s.lastError;
      w.resolve();
    }
  }

  /** Whether the BBMD still holds our entry: TTL not run out since the last success (ignoring its grace period). */
  private stillAlive(): boolean {
    const at = this.s.lastRegisteredAt;
    return at !== undefined && this.timers.now() - at < this.o.ttlSeconds * 1000;
  }

  private scheduleRenewal(): void {
    if (this.stopped) return;
    this.renewTimer = this.timers.setTimeout(
      () => {
        this.registerOnce().then(
          () => this.scheduleRenewal(),
          () => this.scheduleRenewal(),
        );
      },
      (this.o.ttlSeconds * 1000) / 2,
    );
  }
}
