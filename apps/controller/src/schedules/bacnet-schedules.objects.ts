/**
 * The device side of schedule import and export: libs/bacnet's Schedule and
 * Calendar calls over a BacnetClient of its own, bound on the controller's
 * BACnet interface at a free port and started on first use. Why its own
 * client: these calls are rare and operator-driven, and the fieldbus client
 * lives inside the driver; a device answers a confirmed request at the
 * requester's address, whichever port that is.
 */
import type { OnModuleDestroy } from '@nestjs/common';
import { BacnetClient, readCalendar, readSchedule, writeCalendar, writeSchedule } from '#libs/bacnet';
import type { BacnetCalendarObject, BacnetScheduleObject } from '#libs/schedules';
import type { ScheduleObjectsPort } from './bacnet-schedules.service.js';

/** Long enough for a device behind a router; import and export are not on any scan's clock. */
const TIMEOUT_MS = 3000;

export class BacnetScheduleObjects implements ScheduleObjectsPort, OnModuleDestroy {
  private readonly client: BacnetClient;
  private started?: Promise<void>;

  constructor(o: { interface: string; broadcastAddress?: string; timeoutMs?: number }) {
    this.client = new BacnetClient({
      interface: o.interface,
      port: 0,
      broadcastAddress: o.broadcastAddress,
      timeoutMs: o.timeoutMs ?? TIMEOUT_MS,
    });
  }

  async readSchedule(address: string, instance: number): Promise<BacnetScheduleObject> {
    return readSchedule(await this.ready(), address, instance);
  }

  async writeSchedule(address: string, instance: number, obj: BacnetScheduleObject): Promise<void> {
    return writeSchedule(await this.ready(), address, instance, obj);
  }

  async readCalendar(address: string, instance: number): Promise<BacnetCalendarObject> {
    return readCalendar(await this.ready(), address, instance);
  }

  async writeCalendar(address: string, instance: number, obj: BacnetCalendarObject): Promise<void> {
    return writeCalendar(await this.ready(), address, instance, obj);
  }

  async onModuleDestroy(): Promise<void> {
    await this.client.close();
  }

  private async ready(): Promise<BacnetClient> {
    this.started ??= this.client.start();
    await this.started;
    return this.client;
  }
}
