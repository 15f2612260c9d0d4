/**
 * Schedule and Calendar objects of a device (ASHRAE 135 §12.24, §12.9), read
 * and written whole as the plain shapes of libs/schedules: ReadProperty and
 * WriteProperty of each property, values through our codec
 * (schedule-codec.ts). Every value is encoded before the first write, so a
 * value we cannot encode writes nothing; a device that refuses one property
 * fails with a BacnetError naming that property and the device's class/code
 * (e.g. property/write-access-denied, object/unknown-object).
 */
import type { BacnetCalendarObject, BacnetScheduleObject } from '#libs/schedules';
import type { BacnetClient } from './client.js';
import { BacnetError } from './errors.js';
import {
  SERVICE_READ_PROPERTY,
  SERVICE_WRITE_PROPERTY,
  parsePropertyData,
  readPropertyRequest,
  writePropertyRequest,
} from './raw-requests.js';
import {
  Asn1Error,
  decodeCharacterString,
  decodeDateList,
  decodeEffectivePeriod,
  decodeExceptionSchedule,
  decodeScheduleValue,
  decodeWeeklySchedule,
  encodeCharacterString,
  encodeDateList,
  encodeEffectivePeriod,
  encodeExceptionSchedule,
  encodeScheduleValue,
  encodeWeeklySchedule,
} from './schedule-codec.js';
import { ObjectType, PropertyIdentifier as P } from './vendor.js';

type Kind = 'schedule' | 'calendar';
const TYPE_OF: Record<Kind, number> = { schedule: ObjectType.SCHEDULE, calendar: ObjectType.CALENDAR };
const NAME_OF = new Map<number, string>([
  [P.OBJECT_NAME, 'object-name'],
  [P.EFFECTIVE_PERIOD, 'effective-period'],
  [P.WEEKLY_SCHEDULE, 'weekly-schedule'],
  [P.EXCEPTION_SCHEDULE, 'exception-schedule'],
  [P.SCHEDULE_DEFAULT, 'schedule-default'],
  [P.DATE_LIST, 'date-list'],
]);

interface Target {
  client: BacnetClient;
  address: string;
  kind: Kind;
  instance: number;
}

function contextOf(verb: string, t: Target, propertyId: number): string {
  return `${verb} ${t.kind}:${t.instance} ${NAME_OF.get(propertyId) ?? propertyId} at ${t.address}`;
}

function checkInstance(instance: number): void {
  if (!Number.isInteger(instance) || instance < 0 || instance > 4194302)
    throw new RangeError(`object instance must be an integer 0..4194302, got ${instance}`);
}

async function read<T>(t: Target, propertyId: number, decode: (value: Buffer) => T): Promise<T> {
  const context = contextOf('read-property', t, propertyId);
  const ref = { objectType: TYPE_OF[t.kind], instance: t.instance, propertyId };
  const answer = await t.client.rawRequest(t.address, context, SERVICE_READ_PROPERTY, (id) =>
    readPropertyRequest(id, ref),
  );
  if (answer.ack !== 'complex') throw new BacnetError('decode', `a simple ack answered a read: ${context}`);
  try {
    const got = parsePropertyData(answer.data, true);
    if (got.objectType !== ref.objectType || got.instance !== ref.instance || got.propertyId !== propertyId)
      throw new BacnetError('decode', `answer names another object or property: ${context}`);
    return decode(got.value!);
  } catch (err) {
    if (err instanceof Asn1Error)
      throw new BacnetError('decode', `undecodable BACnet answer (${err.message}): ${context}`);
    throw err;
  }
}

async function write(t: Target, propertyId: number, value: Buffer): Promise<void> {
  const context = contextOf('write-property', t, propertyId);
  const ref = { objectType: TYPE_OF[t.kind], instance: t.instance, propertyId };
  const answer = await t.client.rawRequest(t.address, context, SERVICE_WRITE_PROPERTY, (id) =>
    writePropertyRequest(id, ref, value),
  );
  if (answer.ack !== 'simple') throw new BacnetError('decode', `a complex ack answered a write: ${context}`);
}

/** Encodes every value first: a value we cannot encode fails before anything is written. */
function encodeAll(what: string, values: [number, () => Buffer][]): [number, Buffer][] {
  return values.map(([id, encode]) => {
    try {
      return [id, encode()];
    } catch (err) {
      if (err instanceof Asn1Error)
        throw new RangeError(`cannot encode ${what} ${NAME_OF.get(id)}: ${err.message}`);
      throw err;
    }
  });
}

/** Reads a Schedule object's name, effective period, weekly and exception schedules and default. */
export async function readSchedule(
  client: BacnetClient,
  address: string,
  instance: number,
): Promise<BacnetScheduleObject> {
  checkInstance(instance);
  const t: Target = { client, address, kind: 'schedule', instance };
  return {
    objectName: await read(t, P.OBJECT_NAME, decodeCharacterString),
    effectivePeriod: await read(t, P.EFFECTIVE_PERIOD, decodeEffectivePeriod),
    weeklySchedule: await read(t, P.WEEKLY_SCHEDULE, decodeWeeklySchedule),
    exceptionSchedule: await read(t, P.EXCEPTION_SCHEDULE, decodeExceptionSchedule),
    scheduleDefault: await read(t, P.SCHEDULE_DEFAULT, (v) => decodeScheduleValue(v)),
  };
}

/**
 * Writes what a Schedule object schedules: effective period, weekly schedule,
 * exception schedule, default, and its name when it differs (many devices
 * refuse to rename, so an unchanged name is not written).
 */
export async function writeSchedule(
  client: BacnetClient,
  address: string,
  instance: number,
  obj: BacnetScheduleObject,
): Promise<void> {
  checkInstance(instance);
  const t: Target = { client, address, kind: 'schedule', instance };
  const values = encodeAll(`schedule:${instance}`, [
    [P.EFFECTIVE_PERIOD, () => encodeEffectivePeriod(obj.effectivePeriod)],
    [P.WEEKLY_SCHEDULE, () => encodeWeeklySchedule(obj.weeklySchedule)],
    [P.EXCEPTION_SCHEDULE, () => encodeExceptionSchedule(obj.exceptionSchedule)],
    [P.SCHEDULE_DEFAULT, () => encodeScheduleValue(obj.scheduleDefault)],
    [P.OBJECT_NAME, () => encodeCharacterString(obj.objectName)],
  ]);
  await writeValues(t, values, obj.objectName);
}

/** Reads a Calendar object's name and date list. */
export async function readCalendar(
  client: BacnetClient,
  address: string,
  instance: number,
): Promise<BacnetCalendarObject> {
  checkInstance(instance);
  const t: Target = { client, address, kind: 'calendar', instance };
  return {
    objectName: await read(t, P.OBJECT_NAME, decodeCharacterString),
    dateList: await read(t, P.DATE_LIST, decodeDateList),
  };
}

/** Writes a Calendar object's date list, and its name when it differs. */
export async function writeCalendar(
  client: BacnetClient,
  address: string,
  instance: number,
  obj: BacnetCalendarObject,
): Promise<void> {
  checkInstance(instance);
  const t: Target = { client, address, kind: 'calendar', instance };
  const values = encodeAll(`calendar:${instance}`, [
    [P.DATE_LIST, () => encodeDateList(obj.dateList)],
    [P.OBJECT_NAME, () => encodeCharacterString(obj.objectName)],
  ]);
  await writeValues(t, values, obj.objectName);
}

/** The name is read first: it proves the object is there before anything is written. */
async function writeValues(t: Target, values: [number, Buffer][], name: string): Promise<void> {
  const current = await read(t, P.OBJECT_NAME, decodeCharacterString);
  for (const [id, value] of values) {
    if (id === P.OBJECT_NAME && current === name) continue;
    await write(t, id, value);
  }
}
