/**
 * A described device (discovery.ts) → a draft hardware profile and a site
 * entry, valid against libs/profiles' schema and checks, and free of TODOs:
 * every field is either read from the device or, where the device cannot
 * tell, a conservative choice that the point's description names.
 *
 * The rules, by object type (ASHRAE 135 clause 12, §19.2):
 * - kind and data type follow the type: analog REAL, binary ENUMERATED,
 *   multi-state Unsigned;
 * - inputs are read-only; outputs are written (always commandable); a value
 *   object is written only when it has a priority array (commandable) — a
 *   plain value object may be a setpoint or an internal variable, and writing
 *   the wrong one is not something to guess;
 * - safe range: min/max-pres-value when the device has them, 0..100 for a
 *   percentage, 1..number-of-states for multi-state, else only the span
 *   between the value read and the relinquish default;
 * - fail-safe: the relinquish default (what the device itself falls back to);
 * - minimum on/off: minimum-on-time/minimum-off-time when present, else 60 s.
 */
import type { PointDef, Profile, SiteDevice } from '#libs/profiles';
import type { DescribedObject, DeviceDescription } from './discovery.js';
import { profileUnitOf } from './names.js';
import { legalMaxApdu } from './read-capabilities.js';

/** Minimum on/off time when the device has none (seconds): long enough to protect compressors and fans. */
export const DEFAULT_MIN_ON_OFF_S = 60;

export interface DraftOptions {
  /** ISO date written into description and source. */
  date: string;
}

/** A slug for ids and file names: lowercase letters, digits and dashes. */
export function slug(text: string, fallback: string): string {
  const s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return s || fallback;
}

/** `base`, or `base-2`, `base-3`, ... whichever is not taken yet (and takes it). */
export function unique(base: string, taken: Set<string>): string {
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}

const KIND = (type: string): PointDef['kind'] =>
  type.startsWith('analog') ? 'analog' : type.startsWith('binary') ? 'binary' : 'multistate';
const DATA_TYPE = { analog: 'real', binary: 'enumerated', multistate: 'unsigned' } as const;

/** Project Haystack markers a unit or object type makes likely; nothing more is guessed. */
function tagsOf(o: DescribedObject, unit: string, writable: boolean): string[] {
  const tags = new Set<string>();
  tags.add(
    o.object.type.endsWith('-input')
      ? 'sensor'
      : o.object.type.endsWith('-output')
        ? 'cmd'
        : writable
          ? 'sp'
          : 'sensor',
  );
  const byUnit: Record<string, string[]> = {
    degC: ['temp'],
    degF: ['temp'],
    K: ['temp'],
    '%RH': ['humidity'],
    Pa: ['pressure'],
    kPa: ['pressure'],
    'L/s': ['flow'],
    'm3/h': ['flow'],
    ppm: ['co2'],
    W: ['power'],
    kW: ['power'],
    kWh: ['energy'],
  };
  for (const t of byUnit[unit] ?? []) tags.add(t);
  return [...tags];
}

/** A number read from the device; a REAL carries about seven significant digits (IEEE 754 binary32), no more. */
const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? Number(v.toPrecision(7)) : undefined;
const fmt = (n: number): string => String(Number(n.toPrecision(7)));

function point(o: DescribedObject, id: string): PointDef {
  const kind = KIND(o.object.type);
  const isInput = o.object.type.endsWith('-input');
  const writable = !isInput && (o.object.type.endsWith('-output') || o.commandable);
  const unit = kind === 'analog' && o.units !== undefined ? profileUnitOf(o.units) : '';
  const notes: string[] = [];
  const p: PointDef = {
    id,
    name: o.name.trim() || `${o.object.type} ${o.object.instance}`,
    description: '',
    kind,
    access: writable ? 'write' : 'read',
    dataType: DATA_TYPE[kind],
    bacnet: { objectType: o.object.type, instance: o.object.instance },
    unit,
    tags: tagsOf(o, unit, writable),
  };
  if (!isInput && o.commandable) p.bacnet!.commandable = true;
  if (kind === 'analog' && o.units === undefined) notes.push('The device reports no units: unit left empty.');
  if (o.object.type.endsWith('-value') && !o.commandable)
    notes.push(
      'A value object without a priority array: drafted read-only. Make it writable (with a safe range and ' +
        "fail-safe) only after the vendor's documentation says writing it is safe.",
    );
  if (o.object.type.endsWith('-output') && !o.commandable)
    notes.push('An output whose priority array could not be read: commanded as the profile says, check it.');
  if (kind === 'multistate') p.states = states(o, notes);
  if (kind === 'binary' && (o.activeText || o.inactiveText))
    notes.push(`States: 0 = ${o.inactiveText ?? 'inactive'}, 1 = ${o.activeText ?? 'active'}.`);
  if (writable) safety(p, o, notes);
  const what = `${o.object.type} ${o.object.instance}`;
  const own = o.description.trim().replace(/\.+$/, '');
  p.description = [own ? `${what}: ${own}.` : `${what}.`, ...notes].join(' ');
  return p;
}

function states(o: DescribedObject, notes: string[]): Record<string, string> {
  const texts = o.stateTexts?.filter((t) => typeof t === 'string' && t.length > 0) ?? [];
  if (texts.length > 0 && texts.length === (o.stateTexts?.length ?? 0))
    return Object.fromEntries(texts.map((t, i) => [String(i + 1), t]));
  const n = o.numberOfStates ?? Math.max(2, num(o.presentValue) ?? 2);
  notes.push(`The device has no state-text: states named "state 1".."state ${n}".`);
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i + 1), `state ${i + 1}`]));
}

/** Safe range, fail-safe and minimum on/off times of a writable point (DESIGN.md semantics 3). */
function safety(p: PointDef, o: DescribedObject, notes: string[]): void {
  const pv = num(o.presentValue);
  const rd = num(o.relinquishDefault);
  if (p.kind === 'binary') {
    p.failSafe = rd === 1 ? 1 : 0;
    notes.push(
      rd === undefined
        ? 'No relinquish default read: fail-safe 0 (inactive).'
        : 'Fail-safe = the relinquish default the device falls back to.',
    );
    p.minOnSeconds = o.minimumOnTime ?? DEFAULT_MIN_ON_OFF_S;
    p.minOffSeconds = o.minimumOffTime ?? DEFAULT_MIN_ON_OFF_S;
    if (o.minimumOnTime === undefined || o.minimumOffTime === undefined)
      notes.push(
        `The device has no minimum-on-time/minimum-off-time: ${DEFAULT_MIN_ON_OFF_S} s chosen conservatively against short-cycling.`,
      );
    return;
  }
  if (p.kind === 'multistate') {
    const n = Object.keys(p.states ?? {}).length;
    p.safeRange = { min: 1, max: n };
    const fs = rd !== undefined && Number.isInteger(rd) && rd >= 1 && rd <= n ? rd : 1;
    p.failSafe = fs;
    notes.push(
      fs === rd
        ? `Safe range: every state; fail-safe = the relinquish default (${p.states?.[String(fs)]}).`
        : `No usable relinquish default: fail-safe state 1 (${p.states?.['1']}); check it.`,
    );
    return;
  }
  let range: { min: number; max: number };
  const min = num(o.minPresValue);
  const max = num(o.maxPresValue);
  if (min !== undefined && max !== undefined && min <= max) {
    range = { min, max };
    notes.push("Safe range from the device's min-pres-value and max-pres-value.");
  } else if (p.unit === '%' || p.unit === '%RH') {
    range = { min: 0, max: 100 };
    notes.push('Safe range 0..100 from the unit (%); the device reports no min/max-pres-value.');
  } else {
    const seen = [pv, rd].filter((v): v is number => v !== undefined);
    const lo = seen.length ? Math.min(...seen) : 0;
    const hi = seen.length ? Math.max(...seen) : 0;
    range = { min: lo, max: hi };
    notes.push(
      `The device reports no min/max-pres-value: the safe range ${fmt(lo)}..${fmt(hi)} is only the span of ` +
        "the value read at discovery and the relinquish default; widen it from the vendor's documentation.",
    );
  }
  p.safeRange = range;
  const base = rd ?? pv ?? range.min;
  p.failSafe = Math.min(range.max, Math.max(range.min, base));
  notes.push(
    rd === undefined
      ? `No relinquish default read: fail-safe ${fmt(p.failSafe)} (the value read at discovery).`
      : p.failSafe === rd
        ? 'Fail-safe = the relinquish default the device falls back to.'
        : `The relinquish default ${fmt(rd)} is outside the safe range: fail-safe ${fmt(p.failSafe)}.`,
  );
}

/** The draft profile of one described device. */
export function draftProfile(d: DeviceDescription, o: DraftOptions): Profile {
  const ids = new Set<string>();
  const points = d.objects.map((obj) =>
    point(obj, unique(slug(obj.name, `${obj.object.type}-${obj.object.instance}`), ids)),
  );
  const skipped = Object.entries(d.skipped)
    .map(([type, n]) => `${n} ${type}`)
    .join(', ');
  const at = `BACnet device ${d.device.deviceInstance} "${d.name}" at ${d.device.address}`;
  return {
    schemaVersion: 1,
    vendor: d.vendorName || `vendor ${d.device.vendorId}`,
    model: d.modelName || `device ${d.device.deviceInstance}`,
    protocol: 'bacnet',
    description:
      `Draft written by npm run discover from ${at} on ${o.date}: ${points.length} point objects mapped` +
      (skipped ? `; not mapped (no point can be one): ${skipped}` : '') +
      '. Every field was read from the device; where the device cannot tell, the choice is conservative ' +
      "and the point's description says so. Review against the vendor's documentation before commanding anything.",
    source:
      `BACnet discovery of ${at}, ${o.date}: Who-Is/I-Am, the device object and each point object read with ` +
      `ReadProperty/ReadPropertyMultiple` +
      (d.firmwareRevision ? `; firmware ${d.firmwareRevision}` : '') +
      (d.applicationSoftwareVersion ? `, application ${d.applicationSoftwareVersion}` : '') +
      '. No vendor documentation consulted.',
    bacnet: {
      readPropertyMultiple: d.rpm,
      cov: d.cov,
      maxApdu: legalMaxApdu(d.device.maxApdu),
      segmentation: d.segmentation,
      vendorId: d.device.vendorId,
    },
    points,
  };
}

/** What makes two devices the same model: vendor, model and the same object list. */
export function modelKey(d: DeviceDescription): string {
  const objects = d.objects.map((o) => `${o.object.type}:${o.object.instance}`).sort();
  return [d.device.vendorId, d.vendorName ?? '', d.modelName ?? '', ...objects].join('|');
}

/** Where a draft goes under a profiles root: bacnet/<vendor>/<model>.yaml. */
export function profilePath(d: DeviceDescription): string {
  const vendor = slug(d.vendorName ?? '', `vendor-${d.device.vendorId}`);
  const model = slug(d.modelName ?? '', `device-${d.device.deviceInstance}`);
  return `bacnet/${vendor}/${model}.yaml`;
}

/** The site entry of a described device. */
export function draftSiteDevice(
  d: DeviceDescription,
  profile: string,
  o: { pollIntervalMs: number; ids: Set<string> },
): SiteDevice {
  return {
    id: unique(slug(d.name, `device-${d.device.deviceInstance}`), o.ids),
    name: d.name,
    profile,
    pollIntervalMs: o.pollIntervalMs,
    bacnet: { address: d.device.address, deviceInstance: d.device.deviceInstance },
  };
}
