/**
 * Schedule and calendar import/export against the simulator's BACnet device
 * (libs/bacnet's BacnetDevice built from the AHU's profile, as the simulator
 * builds it: an app never imports another app) over real UDP on loopback
 * (free ports), through the HTTP routes: a schedule
 * with weekly entries, every kind of exception and an effective period, and
 * a calendar, exported and imported back unchanged; device refusals as named
 * problem details; an export the device refuses partway leaves the object as
 * it was, or names the properties it could not put back. The configuration editor is an in-memory double with the
 * ConfigurationService's edit contract (a draft, committed whole or not).
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import type { Calendar } from '#libs/schedules';
import type { ProblemDetails } from '#libs/contracts';
import { findRepoRoot, loadSite } from '#libs/profiles';
import type { Configuration } from '#libs/snapshots';
import type { BacnetDevice } from '#libs/bacnet';
import { deviceForProfile } from '../../../../libs/bacnet/src/test-support/profile-device.js';
import { ProblemDetailsFilter } from '../common/problem-details.filter.js';
import type { ConfigurationState, ControllerSchedule } from '../configuration/configuration.port.js';
import { configurationFromSite } from '../configuration/site-configuration.js';
import { BacnetSchedulesController } from './bacnet-schedules.controller.js';
import { BacnetScheduleObjects } from './bacnet-schedules.objects.js';
import { BacnetSchedulesService, SCHEDULE_EDITOR, SCHEDULE_OBJECTS } from './bacnet-schedules.service.js';
import type { ScheduleEditor } from './bacnet-schedules.service.js';

const root = findRepoRoot();

const office: ControllerSchedule = {
  id: 'office',
  name: 'Office hours',
  kind: 'local',
  targets: ['ahu-1.supply_fan_cmd'],
  timeZone: 'Europe/Berlin',
  weekly: {
    monday: [
      { time: '07:00', value: 1 },
      { time: '18:30', value: 0 },
    ],
    tuesday: [
      { time: '07:00', value: 1 },
      { time: '18:30:15', value: 0 },
    ],
    wednesday: [
      { time: '06:45', value: 1 },
      { time: '20:00', value: null },
    ],
    thursday: [],
    friday: [{ time: '07:00', value: 1 }],
    saturday: [],
    sunday: [],
  },
  exceptions: [
    { period: { kind: 'date', date: '2025-12-24' }, times: [{ time: '08:00', value: 1 }], priority: 10 },
    { period: { kind: 'date', date: '*-01-01' }, times: [{ time: '00:00', value: 0 }], priority: 9 },
    { period: { kind: 'range', from: '2025-08-04', to: '2025-08-15' }, times: [], priority: 12 },
    {
      period: { kind: 'weekNDay', month: 5, weekOfMonth: 'last', dayOfWeek: 'monday' },
      times: [{ time: '00:00', value: 0 }],
      priority: 11,
    },
    {
      period: { kind: 'weekNDay', month: 'odd', weekOfMonth: 'second-last', dayOfWeek: 'any' },
      times: [{ time: '12:00', value: null }],
      priority: 14,
    },
    { period: { kind: 'calendar', calendar: 'holidays' }, times: [{ time: '00:00', value: 0 }], priority: 8 },
  ],
  effectivePeriod: { from: '2025-01-01', to: '2026-12-31' },
  scheduleDefault: 0,
};

const holidays: Calendar = {
  name: 'holidays',
  entries: [
    { kind: 'date', date: '2025-12-25' },
    { kind: 'date', date: '*-05-01' },
    { kind: 'range', from: '2025-12-27', to: '2026-01-02' },
    { kind: 'weekNDay', month: 'any', weekOfMonth: 'fourth-last', dayOfWeek: 'friday' },
  ],
};

/** The ConfigurationService's edit contract over a plain object: a draft copy, kept only if `fn` returns. */
class MemoryEditor implements ScheduleEditor {
  readonly edits: string[] = [];
  constructor(public configuration: Configuration) {}
  current(): ConfigurationState {
    return { configuration: this.configuration } as ConfigurationState;
  }
  edit(author: string, message: string, fn: (draft: Configuration) => void): Promise<unknown> {
    const draft = structuredClone(this.configuration);
    fn(draft);
    this.configuration = draft;
    this.edits.push(`${author}: ${message}`);
    return Promise.resolve({ status: 'created' });
  }
}

describe('schedule import and export with a simulated BACnet device', () => {
  let device: BacnetDevice;
  let app: INestApplication;
  let base: string;
  let editor: MemoryEditor;
  let objects: BacnetScheduleObjects;
  /** The device's 'host:port'. */
  let address: string;

  beforeAll(async () => {
    const demo = loadSite(resolve(root, 'sites/demo-office.yaml'), resolve(root, 'hardware-profiles'));
    const ahu = demo.devices.find((d) => d.id === 'ahu-1')!;
    // The device the simulator builds for the AHU, with Schedule and Calendar objects 1-2, a locked Schedule 9,
    // and objects that refuse partway: one property locked (Schedule 5, Calendar 5), or every write after two (Schedule 6).
    device = deviceForProfile(demo.profiles[ahu.profile], {
      deviceInstance: ahu.bacnet!.deviceInstance,
      scheduleObjects: [
        ...[1, 2].flatMap((instance) => [
          { type: 'schedule' as const, instance, name: `Schedule ${instance}` },
          { type: 'calendar' as const, instance, name: `Calendar ${instance}` },
        ]),
        { type: 'schedule', instance: 9, name: 'Locked', readOnly: true },
        { type: 'schedule', instance: 5, name: 'Half-locked', lockedProperties: ['exception-schedule'] },
        { type: 'calendar', instance: 5, name: 'Fixed name', lockedProperties: ['object-name'] },
        { type: 'schedule', instance: 6, name: 'Locks midway', writesBeforeLock: 2 },
      ],
    });
    const { port } = await device.start();
    address = `127.0.0.1:${port}`;
    const devices = demo.devices
      .filter((d) => d.id === 'ahu-1' || d.id === 'meter-main')
      .map((d) => (d.bacnet ? { ...d, bacnet: { ...d.bacnet, address } } : d));
    const config = configurationFromSite({ ...demo, devices });
    editor = new MemoryEditor({
      ...config,
      schedules: { office: structuredClone(office) },
      calendars: { holidays: structuredClone(holidays) },
    });
    objects = new BacnetScheduleObjects({ interface: '127.0.0.1', timeoutMs: 1000 });
    const moduleRef = await Test.createTestingModule({
      controllers: [BacnetSchedulesController],
      providers: [
        BacnetSchedulesService,
        { provide: SCHEDULE_EDITOR, useValue: editor },
        { provide: SCHEDULE_OBJECTS, useValue: objects },
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new ProblemDetailsFilter());
    await app.listen(0, '127.0.0.1');
    base = `${await app.getUrl()}/api/v1`;
  }, 20000);

  afterAll(async () => {
    await app?.close();
    // A useValue provider gets no lifecycle hooks: its client is closed here.
    await objects?.onModuleDestroy();
    await device?.close();
  });

  const post = async (
    path: string,
    body: unknown,
  ): Promise<{ status: number; body: unknown; type: string }> => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json(), type: res.headers.get('content-type') ?? '' };
  };

  it('exports a calendar to Calendar 1 and imports it back unchanged', async () => {
    const out = await post('/calendars/holidays/export', { device: 'ahu-1', instance: 1 });
    expect(out).toMatchObject({
      status: 200,
      body: { device: 'ahu-1', instance: 1, objectName: 'holidays' },
    });
    delete editor.configuration.calendars.holidays;
    const back = await post('/calendars/import', { device: 'ahu-1', instance: 1 });
    expect(back).toMatchObject({ status: 200, body: holidays });
    expect(editor.configuration.calendars.holidays).toEqual(holidays);
  });

  it('exports a schedule with weekly entries, every kind of exception and an effective period; imports it back unchanged', async () => {
    const out = await post('/schedules/office/export', {
      device: 'ahu-1',
      instance: 1,
      calendars: { holidays: 1 },
    });
    // A fresh Schedule object holds only NULLs: the datatype falls back to REAL.
    expect(out).toMatchObject({ status: 200, body: { objectName: 'Office hours', valueType: 'real' } });
    editor.configuration.schedules.office = { ...office, weekly: { ...office.weekly, monday: [] } };
    const back = await post('/schedules/import', {
      device: 'ahu-1',
      instance: 1,
      id: 'office',
      calendars: { holidays: 1 },
    });
    expect(back.status).toBe(200);
    expect(back.body).toEqual(office);
    expect(editor.configuration.schedules.office).toEqual(office);
    expect(editor.edits.at(-1)).toBe('operator: import schedule office from ahu-1 schedule:1');
  });

  it('imports under a new id with the kind and targets given', async () => {
    const back = await post('/schedules/import', {
      device: 'ahu-1',
      instance: 1,
      id: 'office-copy',
      calendars: { holidays: 1 },
      kind: 'fallback',
      targets: [],
    });
    const { timeZone: _zone, ...program } = office;
    expect(back.body).toEqual({ ...program, id: 'office-copy', kind: 'fallback', targets: [] });
  });

  it('an export writes in the datatype the object holds, unless the request names one', async () => {
    const to2 = { device: 'ahu-1', instance: 2, calendars: { holidays: 1 } };
    expect((await post('/schedules/office/export', { ...to2, valueType: 'enumerated' })).body).toMatchObject({
      valueType: 'enumerated',
    });
    // Schedule 2 now holds ENUMERATED values: a plain export keeps them so.
    expect((await post('/schedules/office/export', to2)).body).toMatchObject({ valueType: 'enumerated' });
    const back = await post('/schedules/import', {
      device: 'ahu-1',
      instance: 2,
      id: 'office',
      calendars: { holidays: 1 },
    });
    expect(back.body).toEqual(office);
  });

  it('names an unknown device object: 404 with the BACnet error class and code', async () => {
    const res = await post('/schedules/office/export', {
      device: 'ahu-1',
      instance: 7,
      calendars: { holidays: 1 },
    });
    expect(res.status).toBe(404);
    expect(res.type).toContain('application/problem+json');
    expect((res.body as ProblemDetails).detail).toMatch(
      /^unknown-object: read ahu-1 schedule:7: BACnet error object\/unknown-object: read-property schedule:7 object-name at 127\.0\.0\.1:\d+$/,
    );
  });

  it('names a write the device refuses: 409 write-access-denied and the property refused', async () => {
    const res = await post('/schedules/office/export', {
      device: 'ahu-1',
      instance: 9,
      calendars: { holidays: 1 },
    });
    expect(res.status).toBe(409);
    expect((res.body as ProblemDetails).detail).toContain(
      'write-access-denied: write ahu-1 schedule:9: BACnet error property/write-access-denied: write-property schedule:9 effective-period',
    );
  });

  it('an export refused partway puts back what it wrote: 409 naming the refusal and each property restored', async () => {
    const before = await objects.readSchedule(address, 5);
    const res = await post('/schedules/office/export', {
      device: 'ahu-1',
      instance: 5,
      calendars: { holidays: 1 },
    });
    expect(res.status).toBe(409);
    expect((res.body as ProblemDetails).detail).toBe(
      `write-access-denied: write ahu-1 schedule:5: BACnet error property/write-access-denied: ` +
        `write-property schedule:5 exception-schedule at ${address}; restored weekly-schedule, effective-period`,
    );
    // Effective period and weekly schedule were written before the refusal: both hold their old values again.
    expect(await objects.readSchedule(address, 5)).toEqual(before);

    const calendarBefore = await objects.readCalendar(address, 5);
    const cal = await post('/calendars/holidays/export', { device: 'ahu-1', instance: 5 });
    expect(cal.status).toBe(409);
    expect((cal.body as ProblemDetails).detail).toMatch(/object-name at [\d.:]+; restored date-list$/);
    expect(await objects.readCalendar(address, 5)).toEqual(calendarBefore);
  });

  it('names each property it could not put back, with the device error for it', async () => {
    const before = await objects.readSchedule(address, 6);
    const res = await post('/schedules/office/export', {
      device: 'ahu-1',
      instance: 6,
      calendars: { holidays: 1 },
    });
    expect(res.status).toBe(409);
    const refused = (property: string) =>
      `BACnet error property/write-access-denied: write-property schedule:6 ${property} at ${address}`;
    expect((res.body as ProblemDetails).detail).toBe(
      `write-access-denied: write ahu-1 schedule:6: ${refused('exception-schedule')}; NOT restored ` +
        `weekly-schedule (${refused('weekly-schedule')}), effective-period (${refused('effective-period')})`,
    );
    // Left as the export wrote it, which is what the detail says.
    const left = await objects.readSchedule(address, 6);
    expect(left.effectivePeriod).not.toEqual(before.effectivePeriod);
    expect(left.weeklySchedule).not.toEqual(before.weeklySchedule);
    expect(left.exceptionSchedule).toEqual(before.exceptionSchedule);
  });

  it('refuses what cannot be carried or addressed, naming it', async () => {
    const unmapped = await post('/schedules/office/export', { device: 'ahu-1', instance: 1 });
    expect(unmapped.status).toBe(422);
    expect((unmapped.body as ProblemDetails).detail).toBe(
      'not-convertible: exceptions[5].period.calendar: no Calendar object instance given for calendar "holidays"',
    );
    const modbus = await post('/schedules/office/export', { device: 'meter-main', instance: 1 });
    expect(modbus).toMatchObject({
      status: 400,
      body: { detail: 'not-bacnet: device "meter-main" is not a BACnet device' },
    });
    expect((await post('/schedules/nope/export', { device: 'ahu-1', instance: 1 })).status).toBe(404);
    const bad = await post('/schedules/import', { device: 'ahu-1', instance: -1, id: 'x' });
    expect(bad).toMatchObject({ status: 400, body: { detail: 'instance: must be >= 0' } });
  });
});
