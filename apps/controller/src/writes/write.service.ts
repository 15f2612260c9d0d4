/**
 * Verified writes to the site's points (DESIGN.md semantics 3): the driver
 * sends the value as a 'write' request (ahead of every queued poll on the
 * bus), reads it back as a 'write' request too, compares within the
 * encoding's resolution, and retries with backoff; every attempt is reported
 * and logged. The value read back becomes the point's live value.
 *
 * `write` verifies the point's present value: right where the controller
 * arbitrates (Modbus, non-commandable objects). On a BACnet commandable object
 * the device arbitrates, so a command at a slot below the winner does not
 * change its present value: `writeSlot` and `relinquishSlot` verify the slot
 * itself in the device's priority array (ASHRAE 135 §19.2) instead.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subject } from 'rxjs';
import { errorInfo, FieldbusError, WriteFailedError, writeTolerance, writeVerified } from '#libs/fieldbus';
import type {
  DeviceContext,
  FieldbusDriver,
  FieldbusErrorInfo,
  WriteAttempt,
  WriteOutcome,
} from '#libs/fieldbus';
import type { LoadedSite, PointDef } from '#libs/profiles';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { LOGGER, SITE } from '../common/tokens.js';
import { FIELDBUS_DRIVERS } from '../fieldbus/driver-registry.js';
import type { DriverRegistry } from '../fieldbus/driver-registry.js';
import { LiveValues, pointKey } from '../points/live-values.js';

export interface WriteCommand {
  deviceId: string;
  pointId: string;
  /** Engineering units. */
  value: number;
  /** 1..16: BACnet commandable objects are written at this slot; Modbus ignores it. Default 16. */
  priority?: number;
  /** Extra attempts after the first; default 3. */
  retries?: number;
  /** Called after every attempt, failed or not. */
  onAttempt?: (attempt: WriteAttempt) => void;
}

export interface WritePolicy {
  retries: number;
  backoff: { baseMs: number; maxMs: number };
}

/** What became of one write, for the write-failure alarm: every write, relinquish and slot write reports once. */
export interface WriteResult {
  /** deviceId.pointId */
  point: string;
  ok: boolean;
  /** null for a relinquish. */
  value: number | null;
  priority?: number;
  /** Attempts made; 0 when the write was refused before reaching the device. */
  attempts: number;
  error?: FieldbusErrorInfo;
  at: number;
}

export const DEFAULT_WRITE_POLICY: WritePolicy = { retries: 3, backoff: { baseMs: 250, maxMs: 5000 } };

@Injectable()
export class WriteService {
  policy: WritePolicy = DEFAULT_WRITE_POLICY;
  readonly results$ = new Subject<WriteResult>();

  constructor(
    @Inject(SITE) private readonly site: LoadedSite,
    @Inject(FIELDBUS_DRIVERS) private readonly drivers: DriverRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly live: LiveValues,
  ) {}

  /** Resolves with the value read back and every attempt; rejects with a WriteFailedError naming why. */
  async write(cmd: WriteCommand): Promise<WriteOutcome> {
    const { device, point } = this.find(cmd.deviceId, cmd.pointId);
    const driver = this.driverFor(device);
    const key = pointKey(cmd.deviceId, cmd.pointId);
    try {
      const outcome = await writeVerified({
        value: cmd.value,
        label: key,
        writable: point.access === 'write',
        safeRange: point.safeRange,
        tolerance: writeTolerance(point, cmd.value),
        retries: cmd.retries ?? this.policy.retries,
        backoff: this.policy.backoff,
        onAttempt: cmd.onAttempt,
        write: () => driver.write(device, { point, value: cmd.value, priority: cmd.priority ?? 16 }),
        readBack: async () => {
          const [o] = await driver.readMany(device, [point], { kind: 'write' });
          if (!o || o.value === undefined)
            throw new FieldbusError(
              o?.error ?? { code: 'bad-response', message: `no value read back for ${key}` },
            );
          return o.value;
        },
      });
      this.live.update(cmd.deviceId, cmd.pointId, outcome.readBack, this.clock.now());
      this.report(key, cmd.value, cmd.priority, outcome.attempts.length);
      this.log.info(
        { device: cmd.deviceId, point: cmd.pointId, value: cmd.value, attempts: outcome.attempts.length },
        `wrote ${key} = ${cmd.value} (read back ${outcome.readBack}, ${outcome.attempts.length} attempt(s))`,
      );
      return outcome;
    } catch (err) {
      const attempts = err instanceof WriteFailedError ? err.attempts.length : 0;
      const code = err instanceof FieldbusError ? err.code : 'internal';
      this.log.warn(
        { device: cmd.deviceId, point: cmd.pointId, value: cmd.value, code, attempts },
        `write ${key} = ${cmd.value} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      this.report(key, cmd.value, cmd.priority, attempts, err);
      throw err;
    }
  }

  /**
   * Writes `value` at `priority` of a commandable object's own priority array and
   * verifies that slot (not the present value, which a higher slot may hold).
   */
  async writeSlot(cmd: WriteCommand & { priority: number }): Promise<WriteOutcome> {
    const { device, point } = this.find(cmd.deviceId, cmd.pointId);
    const driver = this.driverFor(device);
    const key = pointKey(cmd.deviceId, cmd.pointId);
    return this.logged(key, cmd.value, cmd.priority, `at priority ${cmd.priority}`, () =>
      writeVerified({
        value: cmd.value,
        label: `${key}@${cmd.priority}`,
        writable: point.access === 'write',
        safeRange: point.safeRange,
        tolerance: writeTolerance(point, cmd.value),
        retries: cmd.retries ?? this.policy.retries,
        backoff: this.policy.backoff,
        onAttempt: cmd.onAttempt,
        write: () => driver.write(device, { point, value: cmd.value, priority: cmd.priority }),
        readBack: async () => {
          const slot = (await this.readSlots(driver, device, point, key))[cmd.priority - 1];
          if (slot === null || slot === undefined)
            throw new FieldbusError(
              'verify-mismatch',
              `${key}: priority ${cmd.priority} is empty after the write`,
            );
          return slot;
        },
      }),
    );
  }

  /** Writes NULL at `priority` (BACnet relinquish) and verifies that the slot is empty. */
  async relinquishSlot(
    cmd: Pick<WriteCommand, 'deviceId' | 'pointId' | 'retries'> & { priority: number },
  ): Promise<void> {
    const { device, point } = this.find(cmd.deviceId, cmd.pointId);
    const driver = this.driverFor(device);
    const key = pointKey(cmd.deviceId, cmd.pointId);
    // writeVerified retries and backs off; "empty" is read back as 0 against an expected 0.
    await this.logged(key, null, cmd.priority, `relinquish priority ${cmd.priority}`, () =>
      writeVerified({
        value: 0,
        label: `${key}@${cmd.priority}`,
        tolerance: 0,
        retries: cmd.retries ?? this.policy.retries,
        backoff: this.policy.backoff,
        write: () => driver.relinquish(device, point, cmd.priority),
        readBack: async () => {
          const slot = (await this.readSlots(driver, device, point, key))[cmd.priority - 1];
          if (slot !== null && slot !== undefined)
            throw new FieldbusError(
              'verify-mismatch',
              `${key}: priority ${cmd.priority} still holds ${slot} after relinquish`,
            );
          return 0;
        },
      }),
    );
  }

  private async readSlots(
    driver: FieldbusDriver,
    device: DeviceContext,
    point: PointDef,
    key: string,
  ): Promise<(number | null)[]> {
    const snapshot = await driver.readPriorityArray(device, point);
    if (!snapshot) throw new FieldbusError('not-supported', `${key} has no priority array`);
    return snapshot.slots;
  }

  private driverFor(device: DeviceContext): FieldbusDriver {
    const driver = this.drivers.get(device.profile.protocol);
    if (!driver) throw new FieldbusError('internal', `no driver for protocol ${device.profile.protocol}`);
    return driver;
  }

  private async logged(
    key: string,
    value: number | null,
    priority: number,
    what: string,
    run: () => Promise<WriteOutcome>,
  ): Promise<WriteOutcome> {
    try {
      const result = await run();
      this.log.info({ point: key, value }, `wrote ${key} = ${String(value)} ${what}`);
      this.report(key, value, priority, result.attempts.length);
      return result;
    } catch (err) {
      const code = err instanceof FieldbusError ? err.code : 'internal';
      this.log.warn(
        { point: key, value, code },
        `write ${key} = ${String(value)} ${what} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      this.report(key, value, priority, err instanceof WriteFailedError ? err.attempts.length : 1, err);
      throw err;
    }
  }

  private report(
    point: string,
    value: number | null,
    priority: number | undefined,
    attempts: number,
    err?: unknown,
  ): void {
    this.results$.next({
      point,
      ok: err === undefined,
      value,
      ...(priority !== undefined ? { priority } : {}),
      attempts,
      ...(err !== undefined ? { error: errorInfo(err) } : {}),
      at: this.clock.now(),
    });
  }

  private find(deviceId: string, pointId: string): { device: DeviceContext; point: PointDef } {
    const site = this.site.devices.find((d) => d.id === deviceId);
    const profile = site && this.site.profiles[site.profile];
    const point = profile?.points.find((p) => p.id === pointId);
    if (!site || !profile || !point)
      throw new WriteFailedError(
        { code: 'unknown-point', message: `no point "${pointId}" on device "${deviceId}"` },
        [],
      );
    return { device: { site, profile }, point };
  }
}
