/**
 * Schedule and Calendar objects between BacnetClient and BacnetDevice over
 * real UDP on loopback (both on port 0): what is written reads back the same,
 * device refusals come back as named BacnetErrors, and the library's own
 * requests to the same device keep working beside ours.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BacnetCalendarObject, BacnetScheduleObject, BacnetSpecialEvent } from '#libs/schedules';
import {
  BacnetClient,
  BacnetError,
  readCalendar,
  readSchedule,
  writeCalendar,
  writeSchedule,
} from './index.js';
import type { BacnetDevice } from './index.js';
import { testDevice } from './test-support/fixtures.js';

const ANY = 255;
const at = (hour: number, minute = 0) => ({ hour, minute, second: 0, hundredths: 0 });
const real = (value: number) => ({ type: 'real' as const, value });
const date = (year: number, month: number, day: number, dayOfWeek = ANY) => ({ year, month, day, dayOfWeek });

const EVENTS: BacnetSpecialEvent[] = [
  {
    period: { type: 'calendarEntry', calendarEntry: { type: 'date', date: date(2025, 12, 24) } },
    listOfTimeValues: [{ time: at(8), value: real(18) }],
    eventPriority: 10,
  },
  {
    period: {
      type: 'calendarEntry',
      calendarEntry: {
        type: 'dateRange',
        dateRange: { startDate: date(2025, 8, 4), endDate: date(2025, 8, 15) },
      },
    },
    listOfTimeValues: [],
    eventPriority: 12,
  },
  {
    period: {
      type: 'calendarEntry',
      calendarEntry: { type: 'weekNDay', weekNDay: { month: 5, weekOfMonth: 6, dayOfWeek: 1 } },
    },
    listOfTimeValues: [{ time: at(0), value: { type: 'null' } }],
    eventPriority: 11,
  },
  {
    period: { type: 'calendarReference', calendarReference: { type: 6, instance: 1 } },
    listOfTimeValues: [
      { time: at(7, 30), value: real(16.5) },
      { time: at(19), value: { type: 'null' } },
    ],
    eventPriority: 9,
  },
];

const SCHEDULE: BacnetScheduleObject = {
  objectName: 'Office hours',
  effectivePeriod: { startDate: date(2025, 1, 1), endDate: date(2026, 12, 31) },
  weeklySchedule: [
    ...Array.from({ length: 5 }, () => ({
      daySchedule: [
        { time: at(7), value: real(21.5) },
        { time: at(18, 30), value: { type: 'null' as const } },
      ],
    })),
    { daySchedule: [] },
    { daySchedule: [{ time: at(10), value: real(20.1) }] },
  ],
  exceptionSchedule: EVENTS,
  scheduleDefault: real(17),
};

const CALENDAR: BacnetCalendarObject = {
  objectName: 'Public holidays',
  dateList: [
    { type: 'date', date: date(2025, 12, 25) },
    { type: 'dateRange', dateRange: { startDate: date(2025, 12, 27), endDate: date(2026, 1, 2) } },
    { type: 'weekNDay', weekNDay: { month: 5, weekOfMonth: 6, dayOfWeek: 1 } },
    { type: 'date', date: date(ANY, 1, 1) },
  ],
};

async function bacnetErrorOf(p: Promise<unknown>): Promise<BacnetError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof BacnetError)) throw new Error(`expected a BacnetError, got ${String(err)}`);
  return err;
}

describe('Schedule and Calendar objects over BACnet/IP', () => {
  let device: BacnetDevice;
  let client: BacnetClient;
  let address: string;

  beforeAll(async () => {
    device = testDevice({
      scheduleObjects: [
        { type: 'schedule', instance: 1, name: 'Schedule 1' },
        { type: 'schedule', instance: 2, name: 'Locked', readOnly: true },
        { type: 'calendar', instance: 1, name: 'Calendar 1' },
      ],
    });
    const { port } = await device.start();
    address = `127.0.0.1:${port}`;
    client = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 1000 });
    await client.start();
  });
  afterAll(async () => {
    await client.close();
    await device.close();
  });

  it('reads a fresh Schedule: seven empty days, any date to any date, NULL default', async () => {
    expect(await readSchedule(client, address, 1)).toEqual({
      objectName: 'Schedule 1',
      effectivePeriod: { startDate: date(ANY, ANY, ANY), endDate: date(ANY, ANY, ANY) },
      weeklySchedule: Array.from({ length: 7 }, () => ({ daySchedule: [] })),
      exceptionSchedule: [],
      scheduleDefault: { type: 'null' },
    });
  });

  it('writes a Schedule with every kind of exception and reads the same back', async () => {
    await writeSchedule(client, address, 1, SCHEDULE);
    expect(await readSchedule(client, address, 1)).toEqual(SCHEDULE);
  });

  it('writes a Calendar and reads the same back', async () => {
    await writeCalendar(client, address, 1, CALENDAR);
    expect(await readCalendar(client, address, 1)).toEqual(CALENDAR);
  });

  it('names an unknown object: object/unknown-object, with the object and property asked', async () => {
    const err = await bacnetErrorOf(readSchedule(client, address, 99));
    expect(err).toMatchObject({ kind: 'error', errorClass: 'object', errorCode: 'unknown-object' });
    expect(err.message).toBe(
      `BACnet error object/unknown-object: read-property schedule:99 object-name at ${address}`,
    );
    expect((await bacnetErrorOf(writeCalendar(client, address, 7, CALENDAR))).errorCode).toBe(
      'unknown-object',
    );
  });

  it('names a refused write: property/write-access-denied, and the property refused', async () => {
    const err = await bacnetErrorOf(writeSchedule(client, address, 2, SCHEDULE));
    expect(err).toMatchObject({ kind: 'error', errorClass: 'property', errorCode: 'write-access-denied' });
    expect(err.message).toContain('write-property schedule:2 effective-period');
    expect((await readSchedule(client, address, 2)).objectName).toBe('Locked');
  });

  it('the device refuses a weekly schedule of mixed datatypes as invalid-data-type', async () => {
    const mixed = structuredClone(SCHEDULE);
    mixed.weeklySchedule[0].daySchedule[1].value = { type: 'unsigned', value: 1 };
    const err = await bacnetErrorOf(writeSchedule(client, address, 1, mixed));
    expect(err).toMatchObject({ errorClass: 'property', errorCode: 'invalid-data-type' });
    expect(err.message).toContain('weekly-schedule');
    expect(await readSchedule(client, address, 1)).toEqual(SCHEDULE);
  });

  it('a value we cannot encode writes nothing', async () => {
    const bad = {
      ...SCHEDULE,
      scheduleDefault: real(21),
      exceptionSchedule: [{ ...EVENTS[0], eventPriority: 0 }],
    };
    await expect(writeSchedule(client, address, 1, bad)).rejects.toThrow(
      'cannot encode schedule:1 exception-schedule: exceptionSchedule[0].eventPriority must be 1..16, got 0',
    );
    expect((await readSchedule(client, address, 1)).scheduleDefault).toEqual(real(17));
  });

  it("keeps the library's own requests to the same device working", async () => {
    expect(await client.readProperty(address, { type: 'analog-value', instance: 1 }, 'present-value')).toBe(
      22,
    );
    const [rp, schedule] = await Promise.all([
      client.readProperty(address, { type: 'analog-input', instance: 1 }, 'present-value'),
      readSchedule(client, address, 1),
    ]);
    expect(rp).toBe(21.5);
    expect(schedule).toEqual(SCHEDULE);
  });
});
