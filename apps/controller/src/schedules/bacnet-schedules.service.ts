/**
 * Import and export of schedules and calendars from and to BACnet Schedule and
 * Calendar objects on the site's devices (issue 4 item 3).
 *
 * Export writes a stored schedule (or calendar) to a device object through
 * libs/schedules' conversion and libs/bacnet's codec; the value datatype is
 * the one the device object already holds (read first, which also proves the
 * object is there), unless the request names one. A device that refuses a
 * property partway gets back the old values of those written before it
 * (libs/bacnet schedule-client.ts), and the error says which went back.
 * Import reads a device object and stores it through the configuration
 * editor as one new version; a schedule imported over an existing id keeps
 * its kind, targets and zone, so export followed by import leaves a schedule
 * unchanged.
 *
 * What BACnet does not carry is passed in: which Calendar object instance a
 * calendar name stands for (`calendars`), the id to import under.
 */
import { Inject, Injectable } from '@nestjs/common';
import {
  bacnetValueType,
  fromBacnetCalendar,
  fromBacnetSchedule,
  toBacnetCalendar,
  toBacnetSchedule,
} from '#libs/schedules';
import type { BacnetCalendarObject, BacnetScheduleObject, BacnetValueType, Calendar } from '#libs/schedules';
import type { Configuration } from '#libs/snapshots';
import type { SiteDevice } from '#libs/profiles';
import type {
  ConfigurationState,
  ControllerSchedule,
  ScheduleKind,
} from '../configuration/configuration.port.js';
import { ScheduleTransferError } from './bacnet-schedules.errors.js';

/**
 * What import needs of the configuration: the head and an atomic edit. The
 * controller's ConfigurationService (configuration/) satisfies it.
 */
export interface ScheduleEditor {
  current(): ConfigurationState;
  /** Applies `fn` to a copy of head and commits it as one version, or throws naming what is invalid. */
  edit(author: string, message: string, fn: (draft: Configuration) => void): Promise<unknown>;
}
export const SCHEDULE_EDITOR = Symbol('SCHEDULE_EDITOR');

/** Schedule and Calendar objects of a device at 'host:port' (libs/bacnet over one client). */
export interface ScheduleObjectsPort {
  readSchedule(address: string, instance: number): Promise<BacnetScheduleObject>;
  writeSchedule(address: string, instance: number, obj: BacnetScheduleObject): Promise<void>;
  readCalendar(address: string, instance: number): Promise<BacnetCalendarObject>;
  writeCalendar(address: string, instance: number, obj: BacnetCalendarObject): Promise<void>;
}
export const SCHEDULE_OBJECTS = Symbol('SCHEDULE_OBJECTS');

export interface DeviceObject {
  /** A device id of the site (a BACnet device). */
  device: string;
  /** The Schedule or Calendar object instance on it. */
  instance: number;
}

export interface ScheduleExport extends DeviceObject {
  /** Calendar name → Calendar object instance on the device, for exceptions that refer to a calendar. */
  calendars?: Record<string, number>;
  /** The datatype to write; default: the one the object holds, else REAL. */
  valueType?: BacnetValueType;
}

export interface ScheduleImport extends DeviceObject {
  /** The schedule id to store it under (replaced when it exists). */
  id: string;
  calendars?: Record<string, number>;
  /** For a new id: its kind (default 'local') and targets (default none). */
  kind?: ScheduleKind;
  targets?: string[];
}

export interface ExportResult extends DeviceObject {
  objectName: string;
  valueType: BacnetValueType;
}

@Injectable()
export class BacnetSchedulesService {
  constructor(
    @Inject(SCHEDULE_EDITOR) private readonly editor: ScheduleEditor,
    @Inject(SCHEDULE_OBJECTS) private readonly objects: ScheduleObjectsPort,
  ) {}

  async exportSchedule(id: string, to: ScheduleExport): Promise<ExportResult> {
    const config = this.editor.current().configuration;
    const schedule = config.schedules[id] as ControllerSchedule | undefined;
    if (!schedule) throw new ScheduleTransferError('unknown-schedule', `no schedule "${id}"`);
    const address = addressOf(config, to.device);
    const valueType =
      to.valueType ??
      bacnetValueType(await this.device(to, 'read', () => this.objects.readSchedule(address, to.instance))) ??
      'real';
    const obj = convert(() =>
      toBacnetSchedule(schedule, { valueType, calendarInstances: instancesOf(to.calendars) }),
    );
    await this.device(to, 'write', () => this.objects.writeSchedule(address, to.instance, obj));
    return { device: to.device, instance: to.instance, objectName: obj.objectName, valueType };
  }

  async importSchedule(from: ScheduleImport, author: string): Promise<ControllerSchedule> {
    const config = this.editor.current().configuration;
    const address = addressOf(config, from.device);
    const obj = await this.device(from, 'read', () => this.objects.readSchedule(address, from.instance));
    const existing = config.schedules[from.id] as ControllerSchedule | undefined;
    const timeZone = existing?.timeZone;
    const plain = convert(() =>
      fromBacnetSchedule(obj, {
        id: from.id,
        calendarInstances: instancesOf(from.calendars),
        ...(timeZone === undefined ? {} : { timeZone }),
      }),
    );
    const schedule: ControllerSchedule = {
      ...plain,
      kind: existing?.kind ?? from.kind ?? 'local',
      targets: existing?.targets ?? from.targets ?? [],
    };
    const message = `import schedule ${from.id} from ${from.device} schedule:${from.instance}`;
    await this.editor.edit(author, message, (draft) => {
      draft.schedules[from.id] = schedule;
    });
    return schedule;
  }

  async exportCalendar(
    name: string,
    to: DeviceObject,
  ): Promise<{ device: string; instance: number; objectName: string }> {
    const config = this.editor.current().configuration;
    const calendar = config.calendars[name] as Calendar | undefined;
    if (!calendar) throw new ScheduleTransferError('unknown-calendar', `no calendar "${name}"`);
    const address = addressOf(config, to.device);
    const obj = convert(() => toBacnetCalendar(calendar));
    await this.device(to, 'write', () => this.objects.writeCalendar(address, to.instance, obj), 'calendar');
    return { device: to.device, instance: to.instance, objectName: obj.objectName };
  }

  /** Stores the device's calendar under `name` (the object's name when absent). */
  async importCalendar(from: DeviceObject & { name?: string }, author: string): Promise<Calendar> {
    const config = this.editor.current().configuration;
    const address = addressOf(config, from.device);
    const obj = await this.device(
      from,
      'read',
      () => this.objects.readCalendar(address, from.instance),
      'calendar',
    );
    const calendar = { ...convert(() => fromBacnetCalendar(obj)), ...(from.name ? { name: from.name } : {}) };
    const message = `import calendar ${calendar.name} from ${from.device} calendar:${from.instance}`;
    await this.editor.edit(author, message, (draft) => {
      draft.calendars[calendar.name] = calendar;
    });
    return calendar;
  }

  /** A device call whose failure becomes a ScheduleTransferError naming the device, the object and the BACnet error. */
  private async device<T>(
    at: DeviceObject,
    verb: 'read' | 'write',
    call: () => Promise<T>,
    kind: 'schedule' | 'calendar' = 'schedule',
  ): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw ScheduleTransferError.fromDevice(err, `${verb} ${at.device} ${kind}:${at.instance}`);
    }
  }
}

function addressOf(config: Configuration, deviceId: string): string {
  const device = config.devices[deviceId] as SiteDevice | undefined;
  if (!device) throw new ScheduleTransferError('unknown-device', `no device "${deviceId}"`);
  if (!device.bacnet)
    throw new ScheduleTransferError('not-bacnet', `device "${deviceId}" is not a BACnet device`);
  return device.bacnet.address;
}

function instancesOf(calendars: Record<string, number> | undefined): ReadonlyMap<string, number> {
  return new Map(Object.entries(calendars ?? {}));
}

/** libs/schedules conversion errors name every field that cannot be carried. */
function convert<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    throw ScheduleTransferError.fromConversion(err);
  }
}
