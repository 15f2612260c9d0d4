import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { jsonArb, permuteKeys } from '../test-support/arbitraries.js';
import { canonicalJson, cloneJson, hashOf, isHash, jsonEquals } from './canonical.js';
import { CanonicalJsonError } from './errors.js';

function refusal(value: unknown): CanonicalJsonError {
  try {
    canonicalJson(value);
  } catch (error) {
    if (error instanceof CanonicalJsonError) return error;
    throw error;
  }
  throw new Error('expected a CanonicalJsonError');
}

describe('canonicalJson', () => {
  it('sorts keys by UTF-16 code units at every depth and writes no whitespace', () => {
    const value = { b: [3, { z: true, a: null }], a: 'x', B: 1, é: 2, '\u{1F600}': 3, '\uFFFD': 4 };
    // 'B' (0x42) < 'a' < 'b' < 'é' (0xE9) < U+1F600 (surrogate 0xD83D) < U+FFFD: RFC 8785 §3.2.3.
    expect(canonicalJson(value)).toBe(
      '{"B":1,"a":"x","b":[3,{"a":null,"z":true}],"é":2,"\u{1F600}":3,"\uFFFD":4}',
    );
  });

  it('writes numbers in ECMAScript shortest form (RFC 8785 §3.2.2.3), -0 as 0', () => {
    expect(canonicalJson([1.0, -0, 0.1, 1e21, 1e-7, 123456789012345680000, 5e-324, -1.5])).toBe(
      '[1,0,0.1,1e+21,1e-7,123456789012345680000,5e-324,-1.5]',
    );
  });

  it('escapes strings as JSON.stringify does', () => {
    expect(canonicalJson('a"b\\c\n\u0001\u2028')).toBe('"a\\"b\\\\c\\n\\u0001\u2028"');
  });

  it.each([
    ['undefined property', { a: { b: undefined } }, 'a.b', 'undefined'],
    ['NaN', { t: NaN }, 't', 'NaN'],
    ['Infinity', [1, -Infinity], '[1]', 'Infinity'],
    ['function', { f: () => 1 }, 'f', 'function'],
    ['symbol', { s: Symbol('x') }, 's', 'symbol'],
    ['bigint', { n: 10n }, 'n', 'bigint'],
    ['Date', { at: new Date(0) }, 'at', 'Date'],
    ['Map', { m: new Map() }, 'm', 'Map'],
    ['array hole', { list: [1, , 3] }, 'list[1]', 'hole'],
    ['lone surrogate', { s: 'x\uD800' }, 's', 'surrogate'],
    ['lone surrogate in a key', { 'k\uDC00': 1 }, 'k\uDC00', 'surrogate'],
  ])('refuses %s with a CanonicalJsonError naming its path', (_name, value, path, reason) => {
    const error = refusal(value);
    expect(error.message).toContain(path);
    expect(error.message).toContain(reason);
  });

  it('refuses a cycle but accepts a shared (acyclic) reference', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(refusal(cyclic).message).toContain('cyclic');
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
  });

  it('keeps "__proto__" as an ordinary key', () => {
    const value = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as object;
    expect(canonicalJson(value)).toBe('{"__proto__":{"polluted":true},"a":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts plain objects from another realm but refuses class instances', () => {
    expect(canonicalJson(runInNewContext('({ b: [{ c: 1 }], a: 2 })'))).toBe('{"a":2,"b":[{"c":1}]}');
    class Point {
      constructor(readonly x: number) {}
    }
    expect(refusal({ p: new Point(1) }).message).toContain('Point');
  });

  it('accepts null-prototype objects', () => {
    const value = Object.assign(Object.create(null) as object, { b: 1, a: 2 });
    expect(canonicalJson(value)).toBe('{"a":2,"b":1}');
  });
});

describe('hashOf', () => {
  it('is SHA-256 of the canonical UTF-8 text, as 64 lowercase hex digits', () => {
    // SHA-256("{}") is a published test value.
    expect(hashOf({})).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    const expected = createHash('sha256').update('{"a":"é","b":1}', 'utf8').digest('hex');
    expect(hashOf({ b: 1, a: 'é' })).toBe(expected);
    expect(isHash(expected)).toBe(true);
    expect(isHash(expected.toUpperCase())).toBe(false);
    expect(isHash(expected.slice(1))).toBe(false);
  });

  it('is the same for any key order, and differs when content differs (property)', () => {
    fc.assert(
      fc.property(jsonArb, fc.integer(), (value, seed) => {
        const permuted = permuteKeys(value, seed);
        expect(hashOf(permuted)).toBe(hashOf(value));
        expect(hashOf([value])).not.toBe(hashOf(value));
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips through JSON text unchanged (property)', () => {
    fc.assert(
      fc.property(jsonArb, (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(jsonEquals(cloneJson(value), value)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
