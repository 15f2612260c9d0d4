/**
 * Names for BACnet enumerations, in the kebab-case the rest of the project uses
 * ('analog-input', 'present-value', 'unknown-object'), derived from the
 * library's enums (ASHRAE 135 §21, the ASN.1 productions) so no table of
 * hundreds of numbers is copied here.
 */
import type { BacnetObjectType } from '#libs/profiles';
import {
  AbortReason,
  EngineeringUnits,
  ErrorClass,
  ErrorCode,
  ObjectType,
  PropertyIdentifier,
  RejectReason,
  Segmentation,
} from './vendor.js';

type NumericEnum = Record<string, string | number>;

function kebab(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/** Both directions of one numeric enum, keyed by kebab-case name. */
class EnumNames {
  private readonly byName = new Map<string, number>();
  private readonly byValue = new Map<number, string>();
  constructor(e: NumericEnum) {
    for (const [key, value] of Object.entries(e)) {
      if (typeof value !== 'number') continue;
      const name = kebab(key);
      this.byName.set(name, value);
      if (!this.byValue.has(value)) this.byValue.set(value, name);
    }
  }
  name(value: number): string | undefined {
    return this.byValue.get(value);
  }
  value(name: string): number | undefined {
    return this.byName.get(name);
  }
}

const objectTypes = new EnumNames(ObjectType);
const properties = new EnumNames(PropertyIdentifier);
const errorClasses = new EnumNames(ErrorClass);
const errorCodes = new EnumNames(ErrorCode);
const abortReasons = new EnumNames(AbortReason);
const rejectReasons = new EnumNames(RejectReason);
const units = new EnumNames(EngineeringUnits);

/** The object types a profile point can live in (the BacnetObjectType union, at run time). */
export const POINT_OBJECT_TYPES: readonly BacnetObjectType[] = [
  'analog-input',
  'analog-output',
  'analog-value',
  'binary-input',
  'binary-output',
  'binary-value',
  'multi-state-input',
  'multi-state-output',
  'multi-state-value',
];

export function objectTypeNumber(type: BacnetObjectType | 'device'): number {
  const n = objectTypes.value(type);
  if (n === undefined) throw new RangeError(`unknown BACnet object type "${type}"`);
  return n;
}

/** Kebab-case name of an object type number, or 'object-type-<n>' for proprietary types. */
export function objectTypeName(n: number): string {
  return objectTypes.name(n) ?? `object-type-${n}`;
}

export function isPointObjectType(name: string): name is BacnetObjectType {
  return (POINT_OBJECT_TYPES as readonly string[]).includes(name);
}

/**
 * Property identifier of a kebab-case name. A decimal string names a
 * proprietary property by number (ASHRAE 135 §21: 512 and above).
 */
export function propertyNumber(name: string): number {
  const n = properties.value(name) ?? (/^\d+$/.test(name) ? Number(name) : undefined);
  if (n === undefined) throw new RangeError(`unknown BACnet property "${name}"`);
  return n;
}

/** Kebab-case name of a property identifier, or its number as a string when the library has no name. */
export function propertyName(n: number): string {
  return properties.name(n) ?? String(n);
}

export function errorClassName(n: number): string {
  return errorClasses.name(n) ?? `error-class-${n}`;
}
export function errorCodeName(n: number): string {
  return errorCodes.name(n) ?? `error-code-${n}`;
}
export function abortReasonName(n: number): string {
  return abortReasons.name(n) ?? `abort-reason-${n}`;
}
export function rejectReasonName(n: number): string {
  return rejectReasons.name(n) ?? `reject-reason-${n}`;
}

/** Segmentation (ASHRAE 135 §21 BACnetSegmentation) in the profile's vocabulary. */
export function segmentationName(n: number): 'both' | 'transmit' | 'receive' | 'none' {
  switch (n) {
    case Segmentation.SEGMENTED_BOTH:
      return 'both';
    case Segmentation.SEGMENTED_TRANSMIT:
      return 'transmit';
    case Segmentation.SEGMENTED_RECEIVE:
      return 'receive';
    default:
      return 'none';
  }
}

/** Profile unit → BACnetEngineeringUnits. The profile vocabulary is in libs/profiles/src/types.ts (PointDef.unit). */
const PROFILE_UNITS: Record<string, number> = {
  degC: EngineeringUnits.DEGREES_CELSIUS,
  degF: EngineeringUnits.DEGREES_FAHRENHEIT,
  K: EngineeringUnits.DEGREES_KELVIN,
  '%': EngineeringUnits.PERCENT,
  '%RH': EngineeringUnits.PERCENT_RELATIVE_HUMIDITY,
  Pa: EngineeringUnits.PASCALS,
  kPa: EngineeringUnits.KILOPASCALS,
  W: EngineeringUnits.WATTS,
  kW: EngineeringUnits.KILOWATTS,
  kWh: EngineeringUnits.KILOWATT_HOURS,
  V: EngineeringUnits.VOLTS,
  A: EngineeringUnits.AMPERES,
  Hz: EngineeringUnits.HERTZ,
  rpm: EngineeringUnits.REVOLUTIONS_PER_MINUTE,
  'L/s': EngineeringUnits.LITERS_PER_SECOND,
  'm3/h': EngineeringUnits.CUBIC_METERS_PER_HOUR,
  ppm: EngineeringUnits.PARTS_PER_MILLION,
  h: EngineeringUnits.HOURS,
  s: EngineeringUnits.SECONDS,
  min: EngineeringUnits.MINUTES,
  '': EngineeringUnits.NO_UNITS,
};

/** BACnetEngineeringUnits number for a profile unit; no-units when the unit has no BACnet equivalent here. */
export function engineeringUnitsOf(profileUnit: string | undefined): number {
  return PROFILE_UNITS[profileUnit ?? ''] ?? EngineeringUnits.NO_UNITS;
}

/** The profile unit for a BACnetEngineeringUnits number, else its kebab-case BACnet name ('btus-per-hour'); no-units gives ''. */
export function profileUnitOf(code: number): string {
  for (const [unit, n] of Object.entries(PROFILE_UNITS)) if (n === code) return unit;
  return units.name(code) ?? `units-${code}`;
}
