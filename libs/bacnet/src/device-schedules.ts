/**
 * Schedule and Calendar objects of a simulated device (ASHRAE 135 §12.24,
 * §12.9): a store of encoded property values per object that answers
 * ReadProperty and WriteProperty beside the library, which cannot decode
 * these values (schedule-codec.ts says why). A write is decoded with our
 * codec before it is kept, so a malformed or mixed-datatype value is refused
 * as a device would refuse it (property/invalid-data-type), and a read
 * answers exactly the octets kept. The objects do not evaluate themselves:
 * a Schedule's Present_Value is its Schedule_Default, a Calendar's FALSE.
 * ReadPropertyMultiple of these objects is left to the library (it answers
 * unknown-object); our client reads them with ReadProperty.
 */
import type { BacnetValue } from '#libs/schedules';
import { Asn1Error, Asn1Writer, TAG } from './asn1-tags.js';
import { propertyNumber } from './names.js';
import {
  SERVICE_READ_PROPERTY,
  SERVICE_WRITE_PROPERTY,
  bipFrame,
  parsePropertyData,
} from './raw-requests.js';
import type { PropertyRequest } from './raw-requests.js';
import {
  decodeCharacterString,
  decodeDailySchedule,
  decodeDateList,
  decodeEffectivePeriod,
  decodeExceptionSchedule,
  decodeScheduleValue,
  decodeSpecialEvent,
  decodeWeeklySchedule,
  encodeCharacterString,
  encodeDailySchedule,
  encodeSpecialEvent,
} from './schedule-codec.js';
import { ErrorClass, ErrorCode, ObjectType, PropertyIdentifier as P, RejectReason } from './vendor.js';
import {
  PDU_COMPLEX_ACK,
  PDU_CONFIRMED_REQUEST,
  PDU_ERROR,
  PDU_SIMPLE_ACK,
  encodeReject,
  peekApdu,
} from './wire.js';

export interface ScheduleObjectDef {
  type: 'schedule' | 'calendar';
  instance: number;
  name: string;
  /** Every write to the object is refused with property/write-access-denied (a locked controller). */
  readOnly?: boolean;
  /**
   * Writes of these properties (kebab-case names, e.g. 'exception-schedule')
   * are refused with property/write-access-denied, the rest accepted: an
   * object that refuses a transfer partway, for tests of what a writer does then.
   */
  lockedProperties?: string[];
  /**
   * After this many accepted writes, every write is refused with
   * property/write-access-denied: an object locked in the middle of a
   * transfer (by an operator at the panel, say), so that even putting back
   * what was written fails.
   */
  writesBeforeLock?: number;
}

/** An answer frame, and the originator to send it to when the request came through a BBMD. */
export interface RawReply {
  frame: Buffer;
  forwardedFrom?: string;
}

type Failure = [errorClass: number, errorCode: number];

const ANY_DATE = [0xa4, 0xff, 0xff, 0xff, 0xff];
const EMPTY_DAY = [0x0e, 0x0f];

/** Per writable property: the check a value must pass; a Failure refuses it. */
const WRITABLE = new Map<number, (value: Buffer) => Failure | undefined>([
  [P.OBJECT_NAME, (v) => (decodeCharacterString(v).length > 0 ? undefined : denied('value-out-of-range'))],
  [P.EFFECTIVE_PERIOD, (v) => void decodeEffectivePeriod(v)],
  [
    P.WEEKLY_SCHEDULE,
    (v) => oneDatatype(decodeWeeklySchedule(v).flatMap((d) => d.daySchedule.map((tv) => tv.value))),
  ],
  [
    P.EXCEPTION_SCHEDULE,
    (v) => {
      const events = decodeExceptionSchedule(v);
      if (events.some((e) => e.eventPriority < 1 || e.eventPriority > 16))
        return denied('value-out-of-range');
      return oneDatatype(events.flatMap((e) => e.listOfTimeValues.map((tv) => tv.value)));
    },
  ],
  [P.SCHEDULE_DEFAULT, (v) => void decodeScheduleValue(v)],
  [P.DATE_LIST, (v) => void decodeDateList(v)],
]);

/** The BACnetARRAY properties (§12.24): elements for reads and writes by index. */
const ARRAYS = new Map<number, { split: (v: Buffer) => Buffer[]; check: (el: Buffer) => void }>([
  [
    P.WEEKLY_SCHEDULE,
    {
      split: (v) => decodeWeeklySchedule(v).map((d) => encodeDailySchedule(d)),
      check: (el) => void decodeDailySchedule(el),
    },
  ],
  [
    P.EXCEPTION_SCHEDULE,
    {
      split: (v) => decodeExceptionSchedule(v).map((e) => encodeSpecialEvent(e)),
      check: (el) => void decodeSpecialEvent(el),
    },
  ],
]);

function denied(code: 'value-out-of-range' | 'invalid-data-type'): Failure {
  return [
    ErrorClass.PROPERTY,
    code === 'value-out-of-range' ? ErrorCode.VALUE_OUT_OF_RANGE : ErrorCode.INVALID_DATA_TYPE,
  ];
}

/** §12.24: every non-NULL value a Schedule holds has one datatype. */
function oneDatatype(values: BacnetValue[]): Failure | undefined {
  const types = new Set(values.filter((v) => v.type !== 'null').map((v) => v.type));
  return types.size > 1 ? denied('invalid-data-type') : undefined;
}

class StoredObject {
  readonly values = new Map<number, Buffer>();
  private readonly locked: ReadonlySet<number>;
  private writesLeft: number;

  constructor(readonly def: ScheduleObjectDef) {
    this.locked = new Set((def.lockedProperties ?? []).map(propertyNumber));
    this.writesLeft = def.writesBeforeLock ?? Infinity;
    const type = def.type === 'schedule' ? ObjectType.SCHEDULE : ObjectType.CALENDAR;
    const w = (f: (w: Asn1Writer) => Asn1Writer): Buffer => f(new Asn1Writer()).toBuffer();
    this.values.set(
      P.OBJECT_IDENTIFIER,
      w((x) => x.objectId(type, def.instance)),
    );
    this.values.set(P.OBJECT_NAME, encodeCharacterString(def.name));
    this.values.set(
      P.OBJECT_TYPE,
      w((x) => x.enumerated(type)),
    );
    this.values.set(
      P.DESCRIPTION,
      w((x) => x.characterString('')),
    );
    if (def.type === 'calendar') {
      this.values.set(P.PRESENT_VALUE, Buffer.from([TAG.BOOLEAN << 4]));
      this.values.set(P.DATE_LIST, Buffer.alloc(0));
      return;
    }
    this.values.set(P.EFFECTIVE_PERIOD, Buffer.from([...ANY_DATE, ...ANY_DATE]));
    this.values.set(P.WEEKLY_SCHEDULE, Buffer.from(new Array<number[]>(7).fill(EMPTY_DAY).flat()));
    this.values.set(P.EXCEPTION_SCHEDULE, Buffer.alloc(0));
    this.values.set(P.SCHEDULE_DEFAULT, Buffer.from([0x00]));
    this.values.set(P.LIST_OF_OBJECT_PROPERTY_REFERENCES, Buffer.alloc(0));
    this.values.set(
      P.PRIORITY_FOR_WRITING,
      w((x) => x.unsigned(16)),
    );
    this.values.set(P.STATUS_FLAGS, Buffer.from([0x82, 0x04, 0x00])); // 4 bits, all clear
    this.values.set(
      P.RELIABILITY,
      w((x) => x.enumerated(0)),
    );
    this.values.set(P.OUT_OF_SERVICE, Buffer.from([TAG.BOOLEAN << 4]));
  }

  read(propertyId: number, index: number | undefined): Buffer | Failure {
    // Present_Value follows Schedule_Default: this simulator keeps schedules, it does not run them.
    const id =
      propertyId === P.PRESENT_VALUE && this.def.type === 'schedule' ? P.SCHEDULE_DEFAULT : propertyId;
    const value = this.values.get(id);
    if (!value) return [ErrorClass.PROPERTY, ErrorCode.UNKNOWN_PROPERTY];
    if (index === undefined) return value;
    const array = ARRAYS.get(id);
    if (!array) return [ErrorClass.PROPERTY, ErrorCode.PROPERTY_IS_NOT_AN_ARRAY];
    const elements = array.split(value);
    if (index === 0) return new Asn1Writer().unsigned(elements.length).toBuffer();
    return elements[index - 1] ?? [ErrorClass.PROPERTY, ErrorCode.INVALID_ARRAY_INDEX];
  }

  write(propertyId: number, index: number | undefined, value: Buffer): Failure | undefined {
    if (!this.values.has(propertyId)) return [ErrorClass.PROPERTY, ErrorCode.UNKNOWN_PROPERTY];
    const check = WRITABLE.get(propertyId);
    if (this.def.readOnly || !check || this.locked.has(propertyId) || this.writesLeft <= 0)
      return [ErrorClass.PROPERTY, ErrorCode.WRITE_ACCESS_DENIED];
    let whole = value;
    if (index !== undefined) {
      const array = ARRAYS.get(propertyId);
      if (!array) return [ErrorClass.PROPERTY, ErrorCode.PROPERTY_IS_NOT_AN_ARRAY];
      const elements = array.split(this.values.get(propertyId)!);
      if (index < 1 || index > elements.length) return [ErrorClass.PROPERTY, ErrorCode.INVALID_ARRAY_INDEX];
      try {
        array.check(value);
      } catch {
        return denied('invalid-data-type');
      }
      elements[index - 1] = value;
      whole = Buffer.concat(elements);
    }
    try {
      const failure = check(whole);
      if (failure) return failure;
    } catch (err) {
      if (err instanceof Asn1Error) return denied('invalid-data-type');
      throw err;
    }
    this.values.set(propertyId, Buffer.from(whole));
    this.writesLeft--;
    return undefined;
  }
}

export class ScheduleObjects {
  private readonly objects = new Map<string, StoredObject>();

  constructor(defs: ScheduleObjectDef[] = []) {
    for (const def of defs) {
      if (!Number.isInteger(def.instance) || def.instance < 0 || def.instance > 4194302)
        throw new RangeError(`${def.type}:${def.instance}: instance must be an integer 0..4194302`);
      const key = `${def.type}:${def.instance}`;
      if (this.objects.has(key)) throw new RangeError(`duplicate BACnet object ${key}`);
      this.objects.set(key, new StoredObject(def));
    }
  }

  /** The encoded value of a property as the device holds it (tests, inspection). */
  value(type: 'schedule' | 'calendar', instance: number, propertyId: number): Buffer | undefined {
    return this.objects.get(`${type}:${instance}`)?.values.get(propertyId);
  }

  /**
   * The reply to a datagram when it is a ReadProperty or WriteProperty of a
   * Schedule or Calendar object; undefined leaves it to the library.
   */
  answer(buf: Buffer): RawReply | undefined {
    const p = peekApdu(buf);
    if (!p || p.pduType !== PDU_CONFIRMED_REQUEST) return undefined;
    const apdu = buf.subarray(p.offset);
    // A segmented request (SEG bit) carries a sequence number first: not ours to reassemble.
    if (apdu.length < 4 || (apdu[0] & 0x08) !== 0) return undefined;
    const invokeId = apdu[2];
    const service = apdu[3];
    if (service !== SERVICE_READ_PROPERTY && service !== SERVICE_WRITE_PROPERTY) return undefined;
    // Context tag [0] with 4 octets: the object identifier, whose top 10 bits are the type.
    if (apdu.length < 9 || apdu[4] !== 0x0c) return undefined;
    const objectType = apdu.readUInt32BE(5) >>> 22;
    if (objectType !== ObjectType.SCHEDULE && objectType !== ObjectType.CALENDAR) return undefined;
    const reply = (frame: Buffer): RawReply =>
      p.forwardedFrom === undefined ? { frame } : { frame, forwardedFrom: p.forwardedFrom };
    let req: PropertyRequest & { value?: Buffer };
    try {
      req = parsePropertyData(apdu.subarray(4), service === SERVICE_WRITE_PROPERTY);
    } catch (err) {
      if (err instanceof Asn1Error) return reply(encodeReject(invokeId, RejectReason.INVALID_TAG));
      throw err;
    }
    const name = objectType === ObjectType.SCHEDULE ? 'schedule' : 'calendar';
    const o = this.objects.get(`${name}:${req.instance}`);
    const error = ([cls, code]: Failure): RawReply =>
      reply(
        bipFrame(
          new Asn1Writer()
            .raw(PDU_ERROR << 4, invokeId, service)
            .enumerated(cls)
            .enumerated(code)
            .toBuffer(),
          false,
        ),
      );
    if (!o) return error([ErrorClass.OBJECT, ErrorCode.UNKNOWN_OBJECT]);
    if (service === SERVICE_WRITE_PROPERTY) {
      const failure = o.write(req.propertyId, req.index, req.value!);
      return failure
        ? error(failure)
        : reply(bipFrame(Buffer.from([PDU_SIMPLE_ACK << 4, invokeId, service]), false));
    }
    const value = o.read(req.propertyId, req.index);
    if (!Buffer.isBuffer(value)) return error(value);
    const w = new Asn1Writer().raw(PDU_COMPLEX_ACK << 4, invokeId, service);
    w.objectId(objectType, req.instance, 0).enumerated(req.propertyId, 1);
    if (req.index !== undefined) w.unsigned(req.index, 2);
    w.open(3)
      .raw(...value)
      .close(3);
    return reply(bipFrame(w.toBuffer(), false));
  }
}
