/**
 * The object database of a simulated BACnet device: properties as read, and
 * the command semantics of writes. Pure (no sockets), so every rule is tested
 * in milliseconds.
 *
 * Command prioritization (ASHRAE 135 §19.2): a commandable object keeps a
 * 16-slot priority array; a write puts a value (or NULL, which relinquishes)
 * into the slot of its priority, 16 when none is given; present-value is the
 * value of the lowest-numbered non-NULL slot, else relinquish-default.
 */
import type { BacnetObjectType } from '#libs/profiles';
import { engineeringUnitsOf, objectTypeNumber } from './names.js';
import type { ObjectRef } from './types.js';
import { bitString, numericOf } from './values.js';
import {
  ASN1_ARRAY_ALL,
  ApplicationTag,
  ErrorClass,
  ErrorCode,
  ObjectType,
  PropertyIdentifier as P,
} from './vendor.js';
import type { LibAppData, LibObjectId, LibPropertyRef, LibReadAccess } from './vendor.js';
import { app, fail } from './app-data.js';
import type { Failure, PropertyValue } from './app-data.js';
import { deviceProperties } from './device-info.js';
import type { DeviceInfo } from './device-info.js';

export interface DeviceObjectDef {
  type: BacnetObjectType;
  instance: number;
  name: string;
  description?: string;
  /** Profile unit (degC, %, Pa, W, kW, kWh, V, A, Hz, rpm, L/s, m3/h, ppm, %RH, h, ''); analog objects only. */
  units?: string;
  /** Initial value. For a commandable object the value is derived: relinquish-default while the array is empty. */
  presentValue: number;
  commandable: boolean;
  /** Commandable objects: the value with an empty priority array. Default: presentValue. */
  relinquishDefault?: number;
  /** Multi-state objects: state 1 is stateTexts[0]. Without it any state ≥ 1 is accepted. */
  stateTexts?: string[];
}

export interface ObjectState {
  presentValue: number;
  priorityArray: (number | null)[];
  relinquishDefault: number | null;
  commandable: boolean;
}

export type ReadOutcome = { values: LibAppData[] } | Failure;
export type WriteOutcome =
  | {
      ok: true;
      ref: ObjectRef;
      presentValueChanged: boolean;
      command?: { value: number | null; priority?: number };
    }
  | Failure;

const INPUTS: readonly BacnetObjectType[] = ['analog-input', 'binary-input', 'multi-state-input'];

class PointObject {
  readonly typeNumber: number;
  readonly commandable: boolean;
  readonly slots: (number | null)[] = new Array<number | null>(16).fill(null);
  relinquishDefault: number;
  presentValue: number;

  constructor(readonly def: DeviceObjectDef) {
    this.typeNumber = objectTypeNumber(def.type);
    this.commandable = def.commandable && !INPUTS.includes(def.type);
    this.relinquishDefault = def.relinquishDefault ?? def.presentValue;
    this.presentValue = this.commandable ? this.relinquishDefault : def.presentValue;
  }

  get ref(): ObjectRef {
    return { type: this.def.type, instance: this.def.instance };
  }
  get isInput(): boolean {
    return INPUTS.includes(this.def.type);
  }
  get kind(): 'analog' | 'binary' | 'multistate' {
    return this.def.type.startsWith('analog')
      ? 'analog'
      : this.def.type.startsWith('binary')
        ? 'binary'
        : 'multistate';
  }

  /** §19.2.2: the lowest-numbered non-NULL slot wins, else relinquish-default. Returns whether the value changed. */
  recompute(): boolean {
    const active = this.slots.find((v) => v !== null);
    const next = active ?? this.relinquishDefault;
    const changed = next !== this.presentValue;
    this.presentValue = next;
    return changed;
  }

  activePriority(): number | null {
    const i = this.slots.findIndex((v) => v !== null);
    return i < 0 ? null : i + 1;
  }

  /** Present-value in its datatype: REAL (analog), ENUMERATED BACnetBinaryPV (binary), Unsigned (multi-state). */
  encode(v: number): LibAppData {
    if (this.kind === 'analog') return app.real(v);
    if (this.kind === 'binary') return app.enumerated(v);
    return app.unsigned(v);
  }

  /** The value range of present-value (§12.2–12.20); undefined when acceptable. */
  outOfRange(v: number): boolean {
    if (!Number.isFinite(v)) return true;
    if (this.kind === 'binary') return v !== 0 && v !== 1;
    if (this.kind === 'multistate') {
      const states = this.def.stateTexts?.length;
      return !Number.isInteger(v) || v < 1 || (states !== undefined && states > 0 && v > states);
    }
    return false;
  }

  properties(): Map<number, PropertyValue> {
    const d = this.def;
    const m = new Map<number, PropertyValue>([
      [P.OBJECT_IDENTIFIER, app.objectId(this.typeNumber, d.instance)],
      [P.OBJECT_NAME, app.string(d.name)],
      [P.OBJECT_TYPE, app.enumerated(this.typeNumber)],
      [P.PRESENT_VALUE, this.encode(this.presentValue)],
      [P.DESCRIPTION, app.string(d.description ?? '')],
      [P.STATUS_FLAGS, app.bits(bitString(4, []))], // in-alarm, fault, overridden, out-of-service: all clear
      [P.EVENT_STATE, app.enumerated(0)], // normal
      [P.OUT_OF_SERVICE, app.boolean(false)],
    ]);
    if (this.kind === 'analog') m.set(P.UNITS, app.enumerated(engineeringUnitsOf(d.units)));
    if (this.kind === 'multistate') {
      const texts = d.stateTexts ?? [];
      m.set(
        P.NUMBER_OF_STATES,
        app.unsigned(texts.length > 0 ? texts.length : Math.max(2, this.presentValue)),
      );
      if (texts.length > 0) m.set(P.STATE_TEXT, { array: texts.map(app.string) });
    }
    if (this.commandable) {
      m.set(P.PRIORITY_ARRAY, { array: this.slots.map((v) => (v === null ? app.null() : this.encode(v))) });
      m.set(P.RELINQUISH_DEFAULT, this.encode(this.relinquishDefault));
      const active = this.activePriority();
      m.set(P.CURRENT_COMMAND_PRIORITY, active === null ? app.null() : app.unsigned(active));
    }
    return m;
  }
}

/** The device's objects, keyed by 'type:instance' numbers. */
export class ObjectTable {
  private readonly points = new Map<string, PointObject>();
  private revision = 0;

  constructor(
    private readonly info: DeviceInfo,
    defs: DeviceObjectDef[],
  ) {
    for (const def of defs) {
      if (!Number.isInteger(def.instance) || def.instance < 0 || def.instance > 4194302) {
        throw new RangeError(`${def.type}:${def.instance}: instance must be an integer 0..4194302`);
      }
      const o = new PointObject(def);
      const key = `${o.typeNumber}:${def.instance}`;
      if (this.points.has(key)) throw new RangeError(`duplicate BACnet object ${def.type}:${def.instance}`);
      this.points.set(key, o);
    }
  }

  /** Changes with every accepted write and every value set from outside: answers made before it may be stale. */
  get version(): number {
    return this.revision;
  }

  /** The device object is addressed by its instance or by the wildcard 4194303 (§12.11.1). */
  isDevice(id: LibObjectId): boolean {
    return (
      id.type === ObjectType.DEVICE && (id.instance === this.info.deviceInstance || id.instance === 4194303)
    );
  }

  exists(id: LibObjectId): boolean {
    return this.isDevice(id) || this.points.has(`${id.type}:${id.instance}`);
  }

  /** The property identifiers an object has, for ReadPropertyMultiple's 'all'. */
  propertyIds(id: LibObjectId): number[] {
    return [...(this.propertiesOf(id)?.keys() ?? [])];
  }

  read(id: LibObjectId, propertyId: number, index: number): ReadOutcome {
    const props = this.propertiesOf(id);
    if (!props) return fail(ErrorClass.OBJECT, ErrorCode.UNKNOWN_OBJECT);
    const v = props.get(propertyId);
    if (!v) return fail(ErrorClass.PROPERTY, ErrorCode.UNKNOWN_PROPERTY);
    if (!('array' in v)) {
      return index === ASN1_ARRAY_ALL
        ? { values: [v] }
        : fail(ErrorClass.PROPERTY, ErrorCode.PROPERTY_IS_NOT_AN_ARRAY);
    }
    if (index === ASN1_ARRAY_ALL) return { values: v.array };
    // §12.1.5: element 0 of an array is its length.
    if (index === 0) return { values: [app.unsigned(v.array.length)] };
    const el = v.array[index - 1];
    return el ? { values: [el] } : fail(ErrorClass.PROPERTY, ErrorCode.INVALID_ARRAY_INDEX);
  }

  /**
   * ReadPropertyMultiple (§15.7): per object its results, each a value or an error;
   * ALL, REQUIRED and OPTIONAL expand to the object's properties (§15.7.3.1.1; all of ours count as both).
   */
  readMultiple(specs: { objectId: LibObjectId; properties: LibPropertyRef[] }[]): LibReadAccess[] {
    const special: number[] = [P.ALL, P.REQUIRED, P.OPTIONAL];
    return specs.map((spec) => {
      const exists = this.exists(spec.objectId);
      const objectId = this.isDevice(spec.objectId)
        ? { type: ObjectType.DEVICE, instance: this.info.deviceInstance }
        : spec.objectId;
      const values = spec.properties.flatMap((prop) => {
        const props =
          exists && special.includes(prop.id)
            ? this.propertyIds(spec.objectId).map((id) => ({ id, index: prop.index }))
            : [prop];
        return props.map((q) => {
          const r = this.read(spec.objectId, q.id, q.index);
          const value: LibAppData[] =
            'errorClass' in r
              ? [{ type: ApplicationTag.ERROR, value: { type: 'BacnetError', ...r } }]
              : r.values;
          return { property: q, value };
        });
      });
      return { objectId, values };
    });
  }

  write(
    id: LibObjectId,
    propertyId: number,
    index: number,
    values: LibAppData[],
    priority: number,
  ): WriteOutcome {
    const r = this.apply(id, propertyId, index, values, priority);
    if ('ok' in r) this.revision++;
    return r;
  }

  private apply(
    id: LibObjectId,
    propertyId: number,
    index: number,
    values: LibAppData[],
    priority: number,
  ): WriteOutcome {
    if (this.isDevice(id)) {
      return this.propertiesOf(id)?.has(propertyId)
        ? fail(ErrorClass.PROPERTY, ErrorCode.WRITE_ACCESS_DENIED)
        : fail(ErrorClass.PROPERTY, ErrorCode.UNKNOWN_PROPERTY);
    }
    const o = this.points.get(`${id.type}:${id.instance}`);
    if (!o) return fail(ErrorClass.OBJECT, ErrorCode.UNKNOWN_OBJECT);
    const has = o.properties().has(propertyId);
    if (!has) return fail(ErrorClass.PROPERTY, ErrorCode.UNKNOWN_PROPERTY);
    if (propertyId !== P.PRESENT_VALUE && !(propertyId === P.RELINQUISH_DEFAULT && o.commandable)) {
      return fail(ErrorClass.PROPERTY, ErrorCode.WRITE_ACCESS_DENIED);
    }
    if (o.isInput) return fail(ErrorClass.PROPERTY, ErrorCode.WRITE_ACCESS_DENIED);
    if (index !== ASN1_ARRAY_ALL) return fail(ErrorClass.PROPERTY, ErrorCode.PROPERTY_IS_NOT_AN_ARRAY);
    if (values.length !== 1) return fail(ErrorClass.PROPERTY, ErrorCode.INVALID_DATA_TYPE);

    const isNull = values[0].type === ApplicationTag.NULL;
    const n = numericOf(values[0]);
    if (!isNull && n === undefined) return fail(ErrorClass.PROPERTY, ErrorCode.INVALID_DATA_TYPE);
    if (n !== undefined && o.outOfRange(n)) return fail(ErrorClass.PROPERTY, ErrorCode.VALUE_OUT_OF_RANGE);

    if (propertyId === P.RELINQUISH_DEFAULT) {
      if (n === undefined) return fail(ErrorClass.PROPERTY, ErrorCode.INVALID_DATA_TYPE);
      o.relinquishDefault = n;
      return { ok: true, ref: o.ref, presentValueChanged: o.recompute() };
    }
    if (!o.commandable) {
      // A non-commandable value object has no priority array: NULL means nothing (§19.2.1 applies to commandable ones).
      if (n === undefined) return fail(ErrorClass.PROPERTY, ErrorCode.INVALID_DATA_TYPE);
      const changed = n !== o.presentValue;
      o.presentValue = n;
      return { ok: true, ref: o.ref, presentValueChanged: changed, command: { value: n } };
    }
    o.slots[priority - 1] = n ?? null;
    return {
      ok: true,
      ref: o.ref,
      presentValueChanged: o.recompute(),
      command: { value: n ?? null, priority },
    };
  }

  state(ref: ObjectRef): ObjectState {
    const o = this.point(ref);
    return {
      presentValue: o.presentValue,
      priorityArray: o.commandable ? [...o.slots] : new Array<number | null>(16).fill(null),
      relinquishDefault: o.commandable ? o.relinquishDefault : null,
      commandable: o.commandable,
    };
  }

  /** Sets present-value from outside the network (sensor physics, a local override). Returns whether it changed. */
  setPresentValue(ref: ObjectRef, value: number): boolean {
    const o = this.point(ref);
    if (!Number.isFinite(value))
      throw new RangeError(`${ref.type}:${ref.instance}: present value must be finite`);
    const changed = value !== o.presentValue;
    // The sensors are set every tick, most to the value they had: only another value (-0 too: its REAL
    // differs) makes answers made before stale, so an unchanged one keeps the answer cache.
    if (!Object.is(value, o.presentValue)) this.revision++;
    o.presentValue = value;
    return changed;
  }

  /** Present-value and status-flags, the values a COV notification carries (§13.1, Table 13-1). */
  covValues(ref: ObjectRef): { property: { id: number }; value: LibAppData[] }[] {
    const o = this.point(ref);
    return [
      { property: { id: P.PRESENT_VALUE }, value: [o.encode(o.presentValue)] },
      { property: { id: P.STATUS_FLAGS }, value: [app.bits(bitString(4, []))] },
    ];
  }

  refOf(id: LibObjectId): ObjectRef | undefined {
    return this.points.get(`${id.type}:${id.instance}`)?.ref;
  }

  private point(ref: ObjectRef): PointObject {
    const o = this.points.get(`${objectTypeNumber(ref.type)}:${ref.instance}`);
    if (!o)
      throw new RangeError(
        `no BACnet object ${ref.type}:${ref.instance} on device ${this.info.deviceInstance}`,
      );
    return o;
  }

  private propertiesOf(id: LibObjectId): Map<number, PropertyValue> | undefined {
    if (this.isDevice(id)) {
      const objectList = [app.objectId(ObjectType.DEVICE, this.info.deviceInstance)];
      const types = new Set<number>([ObjectType.DEVICE]);
      for (const o of this.points.values()) {
        objectList.push(app.objectId(o.typeNumber, o.def.instance));
        types.add(o.typeNumber);
      }
      return deviceProperties(this.info, objectList, [...types]);
    }
    const props = this.points.get(`${id.type}:${id.instance}`)?.properties();
    if (props && !this.info.currentCommandPriority) props.delete(P.CURRENT_COMMAND_PRIORITY);
    return props;
  }
}
