/**
 * Schedule and Calendar objects of a device (ASHRAE 135 §12.24, §12.9), read
 * and written whole as the plain shapes of libs/schedules: ReadProperty and
 * WriteProperty of each property, values through our codec
 * (schedule-codec.ts). Every value is encoded before the first write, so a
 * value we cannot encode writes nothing; a device that refuses one property
 * fails with a BacnetError naming that property and the device's class/code
 * (e.g. property/write-access-denied, object/unknown-object).
 *
 * BACnet has no transaction over several properties, so a write is one
 * WriteProperty per property, and a device may refuse the third after taking
 * the first two. The old value of every property to be written is therefore
 * read (as octets) before the first write; when a write fails after others
 * went through, those are written back, newest first, and the failure is a
 * PartialWriteError: the device's error for the refused property, and per
 * property written before it whether its old value went back.
 */
import type { BacnetCalendarObject, BacnetScheduleObject } from '#libs/schedules';
import type { BacnetClient } from './client.js';
import { BacnetError, toBacnetError } from './errors.js';
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

/** A property written before the failure, and whether its old value went back (no error) or not. */
export interface RestoreOutcome {
  property: string;
  error?: BacnetError;
}

/**
 * A Schedule or Calendar write that failed after other properties were
 * written. Kind, class, code and message start as the failure's own, so code
 * that names BacnetErrors keeps naming it; `restore` tells what became of
 * each property written before it, in the order they were put back.
 */
export class PartialWriteError extends BacnetError {
  constructor(
    readonly failure: BacnetError,
    readonly restore: RestoreOutcome[],
  ) {
    super(
      failure.kind,
      `${failure.message}; ${describeRestore(restore)}`,
      failure.errorClass,
      failure.errorCode,
    );
  }

  /** True when every property written before the failure holds its old value again. */
  get restored(): boolean {
    return this.restore.every((r) => r.error === undefined);
  }
}

function describeRestore(restore: RestoreOutcome[]): string {
  const back = restore.filter((r) => !r.error).map((r) => r.property);
  const notBack = restore.filter((r) => r.error).map((r) => `${r.property} (${r.error!.message})`);
  return [
    ...(back.length > 0 ? [`restored ${back.join(', ')}`] : []),
    ...(notBack.length > 0 ? [`NOT restored ${notBack.join(', ')}`] : []),
  ].join('; ');
}

/** All these calls need of a client: its confirmed requests with our own encoding. */
export type ScheduleClient = Pick<BacnetClient, 'rawRequest'>;

interface Target {
  client: ScheduleClient;
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
  client: ScheduleClient,
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
  client: ScheduleClient,
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
  client: ScheduleClient,
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
  client: ScheduleClient,
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

/**
 * Reads the old octets of every property to be written (the name first: it
 * proves the object is there before anything is written), then writes them
 * in order; on a failure after the first write, puts back what was written.
 */
async function writeValues(t: Target, values: [number, Buffer][], name: string): Promise<void> {
  const current = await read(t, P.OBJECT_NAME, (v) => ({
    octets: Buffer.from(v),
    name: decodeCharacterString(v),
  }));
  const toWrite = values.filter(([id]) => id !== P.OBJECT_NAME || current.name !== name);
  const old = new Map<number, Buffer>([[P.OBJECT_NAME, current.octets]]);
  for (const [id] of toWrite) if (!old.has(id)) old.set(id, await read(t, id, (v) => Buffer.from(v)));
  const written: number[] = [];
  for (const [id, value] of toWrite) {
    try {
      await write(t, id, value);
    } catch (err) {
      const failure = toBacnetError(err, contextOf('write-property', t, id));
      // No answer, or one we could not read: the device may have taken the value, so it is put back too.
      const unknown = failure.kind === 'timeout' || failure.kind === 'decode';
      const undo = unknown ? [...written, id] : written;
      if (written.length === 0 && !unknown) throw err;
      throw new PartialWriteError(failure, await restore(t, undo.reverse(), old));
    }
    written.push(id);
  }
}

/** Writes back each property's old octets; a refusal is reported, not thrown, and the rest are still tried. */
async function restore(t: Target, ids: number[], old: Map<number, Buffer>): Promise<RestoreOutcome[]> {
  const out: RestoreOutcome[] = [];
  for (const id of ids) {
    const property = NAME_OF.get(id) ?? String(id);
    try {
      await write(t, id, old.get(id)!);
      out.push({ property });
    } catch (err) {
      out.push({ property, error: toBacnetError(err, contextOf('write-property', t, id)) });
    }
  }
  return out;
}
