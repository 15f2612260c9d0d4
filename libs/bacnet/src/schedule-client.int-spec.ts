/**
 * Schedule and Calendar objects between BacnetClient and BacnetDevice over
 * real UDP on loopback (both on port 0): what is written reads back the same,
 * device refusals come back as named BacnetErrors, a write refused partway
 * puts back what it had written (and says what it could not), and the
 * library's own requests to the same device keep working beside ours.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BacnetCalendarObject, BacnetScheduleObject, BacnetSpecialEvent } from '#libs/schedules';
import {
  BacnetClient,
  BacnetError,
  PartialWriteError,
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
        { type: 'schedule', instance: 3, name: 'Half-locked', lockedProperties: ['exception-schedule'] },
        { type: 'schedule', instance: 4, name: 'Locks midway', writesBeforeLock: 2 },
        { type: 'schedule', instance: 5, name: 'Schedule 5' },
        { type: 'calendar', instance: 2, name: 'Fixed name', lockedProperties: ['object-name'] },
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

  it('a write refused partway puts back what it wrote, newest first, and says so', async () => {
    const before = await readSchedule(client, address, 3);
    const err = await bacnetErrorOf(writeSchedule(client, address, 3, SCHEDULE));
    expect(err).toBeInstanceOf(PartialWriteError);
    expect(err).toMatchObject({ kind: 'error', errorClass: 'property', errorCode: 'write-access-denied' });
    const partial = err as PartialWriteError;
    expect(partial.failure.message).toBe(
      `BACnet error property/write-access-denied: write-property schedule:3 exception-schedule at ${address}`,
    );
    expect(partial.restore).toEqual([{ property: 'weekly-schedule' }, { property: 'effective-period' }]);
    expect(partial.restored).toBe(true);
    expect(err.message).toBe(`${partial.failure.message}; restored weekly-schedule, effective-period`);
    expect(await readSchedule(client, address, 3)).toEqual(before);
  });

  it('a Calendar whose name is refused gets its old date list back', async () => {
    const err = await bacnetErrorOf(writeCalendar(client, address, 2, CALENDAR));
    expect((err as PartialWriteError).restore).toEqual([{ property: 'date-list' }]);
    expect(await readCalendar(client, address, 2)).toEqual({ objectName: 'Fixed name', dateList: [] });
  });

  it('names by property what could not be put back when the object locks midway', async () => {
    const err = await bacnetErrorOf(writeSchedule(client, address, 4, SCHEDULE));
    expect(err).toMatchObject({ errorCode: 'write-access-denied' });
    const partial = err as PartialWriteError;
    expect(partial.failure.message).toContain('write-property schedule:4 exception-schedule');
    expect(partial.restored).toBe(false);
    expect(partial.restore.map((r) => [r.property, r.error?.errorCode])).toEqual([
      ['weekly-schedule', 'write-access-denied'],
      ['effective-period', 'write-access-denied'],
    ]);
    expect(err.message).toBe(
      `${partial.failure.message}; NOT restored ` +
        `weekly-schedule (BACnet error property/write-access-denied: write-property schedule:4 weekly-schedule at ${address}), ` +
        `effective-period (BACnet error property/write-access-denied: write-property schedule:4 effective-period at ${address})`,
    );
    const left = await readSchedule(client, address, 4);
    expect(left.weeklySchedule).toEqual(SCHEDULE.weeklySchedule);
    expect(left.exceptionSchedule).toEqual([]);
  });

  it('a write left unanswered is put back too: the device may have taken it', async () => {
    const before = await readSchedule(client, address, 5);
    // The device takes the weekly schedule, but its acknowledgement is lost.
    let lost = false;
    const lossy = {
      rawRequest: async (...args: Parameters<BacnetClient['rawRequest']>) => {
        const answer = await client.rawRequest(...args);
        if (args[1].startsWith('write-property schedule:5 weekly-schedule') && !lost) {
          lost = true;
          throw new BacnetError('timeout', `no BACnet answer: ${args[1]}`);
        }
        return answer;
      },
    };
    const err = await bacnetErrorOf(writeSchedule(lossy, address, 5, SCHEDULE));
    expect(err).toMatchObject({ kind: 'timeout' });
    expect((err as PartialWriteError).restore).toEqual([
      { property: 'weekly-schedule' },
      { property: 'effective-period' },
    ]);
    expect(await readSchedule(client, address, 5)).toEqual(before);
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
