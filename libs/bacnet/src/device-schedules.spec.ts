/**
 * The simulated device's Schedule and Calendar objects, frame in, frame out
 * (no sockets): which requests it takes from the library, array elements by
 * index, what it refuses and how (Error PDU class/code, Reject).
 */
import { describe, expect, it } from '@jest/globals';
import { BacnetError } from './errors.js';
import { ScheduleObjects } from './device-schedules.js';
import {
  SERVICE_READ_PROPERTY,
  SERVICE_WRITE_PROPERTY,
  answerOf,
  parsePropertyData,
  readPropertyRequest,
  writePropertyRequest,
} from './raw-requests.js';
import type { PropertyRequest } from './raw-requests.js';
import {
  decodeDailySchedule,
  decodeWeeklySchedule,
  encodeDailySchedule,
  encodeScheduleValue,
} from './schedule-codec.js';
import { ObjectType, PropertyIdentifier as P } from './vendor.js';
import { peekApdu } from './wire.js';

const objects = (): ScheduleObjects =>
  new ScheduleObjects([
    { type: 'schedule', instance: 1, name: 'Schedule 1' },
    { type: 'calendar', instance: 1, name: 'Calendar 1' },
    { type: 'schedule', instance: 2, name: 'Locked', readOnly: true },
  ]);
const schedule = (propertyId: number, index?: number): PropertyRequest => ({
  objectType: ObjectType.SCHEDULE,
  instance: 1,
  propertyId,
  ...(index === undefined ? {} : { index }),
});
const day = (hour: number, value: number) =>
  encodeDailySchedule({
    daySchedule: [{ time: { hour, minute: 0, second: 0, hundredths: 0 }, value: { type: 'real', value } }],
  });

/** The reply's APDU as the client reads it: a value, a simple ack, or the named BacnetError it carries. */
function reply(o: ScheduleObjects, frame: Buffer, service: number): Buffer | 'ack' {
  const r = o.answer(frame);
  if (!r) throw new Error('the request was left to the library');
  const p = peekApdu(r.frame)!;
  const answer = answerOf(r.frame.subarray(p.offset), service, 'test');
  return answer.ack === 'simple' ? 'ack' : parsePropertyData(answer.data, true).value!;
}
const read = (o: ScheduleObjects, ref: PropertyRequest) =>
  reply(o, readPropertyRequest(1, ref), SERVICE_READ_PROPERTY) as Buffer;
const write = (o: ScheduleObjects, ref: PropertyRequest, value: Buffer) =>
  reply(o, writePropertyRequest(2, ref, value), SERVICE_WRITE_PROPERTY);

function errorOf(run: () => unknown): BacnetError {
  try {
    run();
  } catch (err) {
    if (err instanceof BacnetError) return err;
    throw err;
  }
  throw new Error('expected a BacnetError');
}

describe('ScheduleObjects', () => {
  it('leaves requests for other object types to the library', () => {
    const ref = { objectType: ObjectType.ANALOG_VALUE, instance: 1, propertyId: P.PRESENT_VALUE };
    expect(objects().answer(readPropertyRequest(1, ref))).toBeUndefined();
  });

  it('reads and writes Weekly_Schedule elements by index; element 0 is the length (7)', () => {
    const o = objects();
    expect([...read(o, schedule(P.WEEKLY_SCHEDULE, 0))]).toEqual([0x21, 7]);
    expect(write(o, schedule(P.WEEKLY_SCHEDULE, 3), day(6, 19.5))).toBe('ack');
    expect(decodeDailySchedule(read(o, schedule(P.WEEKLY_SCHEDULE, 3)))).toEqual(
      decodeDailySchedule(day(6, 19.5)),
    );
    const week = decodeWeeklySchedule(read(o, schedule(P.WEEKLY_SCHEDULE)));
    expect(week.map((d) => d.daySchedule.length)).toEqual([0, 0, 1, 0, 0, 0, 0]);
    expect(errorOf(() => read(o, schedule(P.WEEKLY_SCHEDULE, 8)))).toMatchObject({
      errorClass: 'property',
      errorCode: 'invalid-array-index',
    });
  });

  it("answers a Schedule's Present_Value with its Schedule_Default (it keeps schedules, it does not run them)", () => {
    const o = objects();
    expect(write(o, schedule(P.SCHEDULE_DEFAULT), encodeScheduleValue({ type: 'real', value: 17 }))).toBe(
      'ack',
    );
    expect(read(o, schedule(P.PRESENT_VALUE))).toEqual(encodeScheduleValue({ type: 'real', value: 17 }));
  });

  it('refuses what a device refuses, by class and code', () => {
    const o = objects();
    const refused = (run: () => unknown) => {
      const e = errorOf(run);
      return `${e.errorClass}/${e.errorCode}`;
    };
    expect(refused(() => write(o, schedule(P.OBJECT_IDENTIFIER), Buffer.from([0xc4, 0, 0, 0, 1])))).toBe(
      'property/write-access-denied',
    );
    expect(
      refused(() => write(o, { ...schedule(P.SCHEDULE_DEFAULT), instance: 2 }, Buffer.from([0x00]))),
    ).toBe('property/write-access-denied');
    expect(refused(() => read(o, schedule(P.OBJECT_NAME, 1)))).toBe('property/property-is-not-an-array');
    expect(refused(() => read(o, schedule(P.DATE_LIST)))).toBe('property/unknown-property');
    expect(refused(() => read(o, { ...schedule(P.OBJECT_NAME), instance: 3 }))).toBe('object/unknown-object');
    // a REAL where a Date_List holds calendar entries
    const calendar = { objectType: ObjectType.CALENDAR, instance: 1, propertyId: P.DATE_LIST };
    expect(refused(() => write(o, calendar, encodeScheduleValue({ type: 'real', value: 1 })))).toBe(
      'property/invalid-data-type',
    );
    // an exception priority of 0
    const event = Buffer.from([0x0e, 0x0c, 125, 12, 24, 255, 0x0f, 0x2e, 0x2f, 0x39, 0]);
    expect(refused(() => write(o, schedule(P.EXCEPTION_SCHEDULE), event))).toBe(
      'property/value-out-of-range',
    );
  });

  it('rejects a request whose tags do not parse (Reject invalid-tag)', () => {
    const frame = writePropertyRequest(4, schedule(P.SCHEDULE_DEFAULT), Buffer.from([0x00]));
    const truncated = frame.subarray(0, frame.length - 1); // no closing tag [3]
    truncated.writeUInt16BE(truncated.length, 2);
    const e = errorOf(() => reply(objects(), truncated, SERVICE_WRITE_PROPERTY));
    expect(e).toMatchObject({ kind: 'reject', errorCode: 'invalid-tag' });
  });
});
