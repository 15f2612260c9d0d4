/**
 * Canonical JSON and content hashes. One value has exactly one text, so equal
 * configurations hash equally whatever order their keys were written in.
 *
 * The form is RFC 8785 (JSON Canonicalization Scheme): object keys sorted by
 * UTF-16 code units (§3.2.3), no whitespace, strings escaped as ECMAScript's
 * JSON.stringify does (§3.2.2.2), numbers in ECMAScript's shortest round-trip
 * form (§3.2.2.3) — so -0 is written 0. Values outside I-JSON (RFC 7493) are
 * refused with a CanonicalJsonError naming their path rather than silently
 * dropped or coerced as JSON.stringify would: a key whose value is undefined
 * would not come back from a checkout, NaN would come back as null, and a Date
 * as a string. Lone surrogates are refused for the same reason (§3.2.2.2).
 *
 * A hash is SHA-256 over the UTF-8 bytes of the canonical text, written as 64
 * lowercase hex digits.
 */
import { createHash } from 'node:crypto';
import { CanonicalJsonError } from './errors.js';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A SHA-256 hex digest: a blob's name or a version's id. */
export type Hash = string;

const HASH_PATTERN = /^[0-9a-f]{64}$/;
const LONE_SURROGATE = /\p{Cs}/u;

export function isHash(value: unknown): value is Hash {
  return typeof value === 'string' && HASH_PATTERN.test(value);
}

/**
 * A plain data object: its prototype is null or an Object.prototype — of any
 * realm, since structuredClone, vm contexts and workers hand back objects whose
 * Object.prototype is not ours. Class instances (Date, Map, ...) have a
 * prototype whose own prototype is not null, and are refused.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** The canonical text of `value`; throws CanonicalJsonError for anything JSON cannot carry faithfully. */
export function canonicalJson(value: unknown): string {
  return canonicalJsonAt(value, []);
}

/** As canonicalJson, with errors naming paths below `path` (the value's place in a larger document). */
export function canonicalJsonAt(value: unknown, path: readonly (string | number)[]): string {
  const parts: string[] = [];
  write(value, [...path], new Set<object>(), parts);
  return parts.join('');
}

export function sha256Hex(text: string): Hash {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The content hash of a value: SHA-256 of its canonical JSON. */
export function hashOf(value: unknown): Hash {
  return sha256Hex(canonicalJson(value));
}

/** Structural equality as JSON sees it (key order irrelevant, -0 equals 0). */
export function jsonEquals(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** A deep copy through canonical JSON: plain data only, keys in canonical order. */
export function cloneJson<T>(value: T): T {
  return JSON.parse(canonicalJson(value)) as T;
}

function writeString(text: string, path: (string | number)[]): string {
  if (LONE_SURROGATE.test(text)) throw new CanonicalJsonError(path, 'string contains a lone surrogate');
  return JSON.stringify(text);
}

function write(value: unknown, path: (string | number)[], ancestors: Set<object>, out: string[]): void {
  switch (typeof value) {
    case 'string':
      out.push(writeString(value, path));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value))
        throw new CanonicalJsonError(path, `${String(value)} is not a JSON number`);
      out.push(String(value)); // ECMAScript Number::toString: RFC 8785 §3.2.2.3; -0 becomes "0"
      return;
    case 'undefined':
      throw new CanonicalJsonError(path, 'undefined is not JSON (omit the key instead)');
    case 'function':
    case 'symbol':
    case 'bigint':
      throw new CanonicalJsonError(path, `a ${typeof value} is not JSON`);
    case 'object':
      break;
  }
  if (value === null) {
    out.push('null');
    return;
  }
  const object = value;
  if (ancestors.has(object)) throw new CanonicalJsonError(path, 'cyclic reference');
  ancestors.add(object);
  if (Array.isArray(object)) {
    out.push('[');
    for (let i = 0; i < object.length; i++) {
      if (!(i in object)) throw new CanonicalJsonError([...path, i], 'hole in array (undefined is not JSON)');
      if (i > 0) out.push(',');
      write(object[i], [...path, i], ancestors, out);
    }
    out.push(']');
  } else if (isPlainObject(object)) {
    const keys = Object.keys(object).sort(); // UTF-16 code-unit order: RFC 8785 §3.2.3
    out.push('{');
    keys.forEach((key, i) => {
      if (i > 0) out.push(',');
      out.push(writeString(key, [...path, key]), ':');
      write(object[key], [...path, key], ancestors, out);
    });
    out.push('}');
  } else {
    const kind = (object.constructor as { name?: string } | undefined)?.name ?? 'object';
    throw new CanonicalJsonError(path, `a ${kind} instance is not plain JSON data`);
  }
  ancestors.delete(object);
}
