/**
 * The command path's writes, each verified by WriteService, with a failure
 * turned into CommandWriteFailedError naming the point: a slot of a device's
 * own priority array (BACnet commandable objects), or the output itself
 * (points the controller arbitrates).
 */
import type { Logger } from 'pino';
import { errorInfo } from '#libs/fieldbus';
import type { WriteService } from '../writes/write.service.js';
import { CommandWriteFailedError } from './command-errors.js';
import type { PointRef } from './point-ref.js';

export class PointWriter {
  constructor(
    private readonly writes: WriteService,
    private readonly log: Logger,
  ) {}

  async writeSlot(ref: PointRef, priority: number, value: number): Promise<void> {
    const [deviceId, pointId] = [ref.device.site.id, ref.point.id];
    try {
      await this.writes.writeSlot({ deviceId, pointId, value, priority });
    } catch (err) {
      throw new CommandWriteFailedError(ref.key, errorInfo(err));
    }
  }

  /** Writes NULL at the slot (ASHRAE 135 §19.2): the device falls to its next slot or its default. */
  async relinquishSlot(ref: PointRef, priority: number): Promise<void> {
    try {
      await this.writes.relinquishSlot({ deviceId: ref.device.site.id, pointId: ref.point.id, priority });
    } catch (err) {
      throw new CommandWriteFailedError(ref.key, errorInfo(err));
    }
  }

  async writeOutput(ref: PointRef, value: number): Promise<void> {
    try {
      await this.writes.write({ deviceId: ref.device.site.id, pointId: ref.point.id, value });
    } catch (err) {
      throw new CommandWriteFailedError(ref.key, errorInfo(err));
    }
  }

  /** For background work (expiry, re-assert): a failure is logged and reported as false, never thrown. */
  async bestEffort(fn: () => Promise<void>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (err) {
      this.log.warn({ err: errorInfo(err) }, (err as Error).message);
      return false;
    }
  }
}
