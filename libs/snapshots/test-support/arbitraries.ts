/**
 * fast-check generators: plain JSON values, configurations drawn from small
 * key pools (so edits collide with existing parts), and edits to apply to them.
 * Keys include "__proto__" and "constructor" on purpose: they must be data.
 */
import fc from 'fast-check';
import type { Collection, Configuration } from '../src/index.js';
import { cloneJson, COLLECTIONS } from '../src/index.js';

export const keyArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('a', 'b', 'c', 'lobby', 'vav-1'), weight: 6 },
  { arbitrary: fc.constantFrom('__proto__', 'constructor', 'é', 'B'), weight: 1 },
  { arbitrary: fc.string({ minLength: 1, maxLength: 4 }), weight: 1 },
);

/** An object with own data properties only (Object.fromEntries never sets a prototype). */
function objectOf<T>(value: fc.Arbitrary<T>, maxKeys: number): fc.Arbitrary<Record<string, T>> {
  return fc
    .uniqueArray(fc.tuple(keyArb, value), { selector: ([key]) => key, maxLength: maxKeys })
    .map((entries) => Object.fromEntries(entries));
}

const primitiveArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
  fc.string({ maxLength: 6 }),
  fc.boolean(),
  fc.constant(null),
);

export const jsonArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    primitiveArb,
    fc.array(tie('value'), { maxLength: 3 }),
    objectOf(tie('value'), 3),
  ),
})).value;

const timeZoneArb = fc.constantFrom('Europe/Berlin', 'America/New_York', 'UTC');

export const configurationArb: fc.Arbitrary<Configuration> = fc
  .record({
    site: fc.record({ name: fc.constantFrom('HQ', 'Depot'), timeZone: timeZoneArb }),
    devices: objectOf(jsonArb, 3),
    profiles: objectOf(jsonArb, 2),
    schedules: objectOf(jsonArb, 3),
    calendars: objectOf(jsonArb, 2),
    rules: objectOf(jsonArb, 2),
    overrides: objectOf(jsonArb, 2),
  })
  .map((config) => config as Configuration);

export type Edit =
  | { type: 'set'; section: Collection; key: string; value: unknown }
  | { type: 'remove'; section: Collection; key: string }
  | { type: 'site'; timeZone: string };

export const editArb: fc.Arbitrary<Edit> = fc.oneof(
  {
    arbitrary: fc.record({
      type: fc.constant('set' as const),
      section: fc.constantFrom(...COLLECTIONS),
      key: keyArb,
      value: jsonArb,
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      type: fc.constant('remove' as const),
      section: fc.constantFrom(...COLLECTIONS),
      key: keyArb,
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ type: fc.constant('site' as const), timeZone: timeZoneArb }), weight: 1 },
);

/** A new configuration: `config` with `edit` applied (the input is not touched). */
export function applyEdit(config: Configuration, edit: Edit): Configuration {
  const next = cloneJson(config);
  if (edit.type === 'site') {
    next.site.timeZone = edit.timeZone;
  } else if (edit.type === 'set') {
    Object.defineProperty(next[edit.section], edit.key, {
      value: cloneJson(edit.value),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    delete next[edit.section][edit.key];
  }
  return next;
}

/** A deep copy whose object keys are inserted in a permuted order (same content, different key order). */
export function permuteKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((item, i) => permuteKeys(item, seed + i));
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  let state = seed >>> 0;
  for (let i = keys.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [keys[i], keys[j]] = [keys[j], keys[i]];
  }
  return Object.fromEntries(
    keys.map((key) => [key, permuteKeys((value as Record<string, unknown>)[key], seed + key.length)]),
  );
}
