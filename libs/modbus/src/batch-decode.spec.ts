import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { ByteOrder, ModbusDataType } from '#libs/profiles';
import { BatchDecoder } from './batch-decode.js';
import { compileDecoder, ModbusCodecError } from './codec.js';
import type { Encoding } from './codec.js';

const TYPES: readonly ModbusDataType[] = [
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float32',
  'int64',
  'uint64',
  'float64',
  'bool',
];
const ORDERS: readonly ByteOrder[] = ['big', 'little'];

const encoding = fc.record({
  dataType: fc.constantFrom(...TYPES),
  byteOrder: fc.constantFrom(...ORDERS),
  wordOrder: fc.constantFrom(...ORDERS),
  // Mostly the plain encodings the batch reads inline, sometimes one it hands to the codec.
  scale: fc.constantFrom(1, 1, 1, 0.1),
  offset: fc.constantFrom(0, 0, 0, -40),
});

function run(encodings: Encoding[], registers: number[], offsets: number[]) {
  const out = new Float64Array(encodings.length).fill(-12345);
  const failed: Array<[number, unknown]> = [];
  new BatchDecoder(encodings).decode(
    registers,
    Int32Array.from(encodings, (_, i) => i),
    Int32Array.from(offsets),
    out,
    (i, e) => failed.push([i, e]),
  );
  return { out, failed };
}

describe('BatchDecoder', () => {
  it('decodes every value exactly as its compiled decoder does, inline or not', () => {
    fc.assert(
      fc.property(
        fc.array(encoding, { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 60, maxLength: 60 }),
        fc.array(fc.nat(55), { minLength: 12, maxLength: 12 }),
        (encodings, registers, offsets) => {
          const { out, failed } = run(encodings, registers, offsets.slice(0, encodings.length));
          expect(failed).toEqual([]);
          encodings.forEach((e, i) =>
            expect(Object.is(out[i], compileDecoder(e)(registers, offsets[i]))).toBe(true),
          );
        },
      ),
    );
  });

  it('reads the plain encodings by the codec layout: big-endian registers, most significant word first unless little', () => {
    const plain = (dataType: ModbusDataType, wordOrder: ByteOrder = 'big'): Encoding => ({
      dataType,
      byteOrder: 'big',
      wordOrder,
      scale: 1,
      offset: 0,
    });
    // 123.456 as float32 is 0x42F6E979; -2 as int32 is 0xFFFFFFFE; 4e9 is 0xEE6B2800.
    const { out } = run(
      [
        plain('float32'),
        plain('float32', 'little'),
        plain('int32'),
        plain('uint32'),
        plain('int16'),
        plain('uint16'),
      ],
      [0x42f6, 0xe979, 0xe979, 0x42f6, 0xffff, 0xfffe, 0xee6b, 0x2800, 0xfffe, 0xfffe],
      [0, 2, 4, 6, 8, 9],
    );
    expect(Array.from(out)).toEqual([Math.fround(123.456), Math.fround(123.456), -2, 4e9, -2, 0xfffe]);
  });

  it('reports a value it cannot decode with the codec’s error, and decodes the others', () => {
    fc.assert(
      fc.property(fc.array(encoding, { minLength: 2, maxLength: 6 }), fc.nat(5), (encodings, bad) => {
        const which = bad % encodings.length;
        const offsets = encodings.map((_, i) => 4 * i);
        const registers = new Array<number>(4 * encodings.length).fill(1);
        registers[offsets[which]] = 0x10000; // not a 16-bit register
        const { out, failed } = run(encodings, registers, offsets);
        expect(failed.map(([i]) => i)).toEqual([which]);
        expect(failed[0][1]).toBeInstanceOf(ModbusCodecError);
        const others = encodings.map((_, i) => i).filter((i) => i !== which);
        expect(
          others.map((i) => Object.is(out[i], compileDecoder(encodings[i])(registers, offsets[i]))),
        ).toEqual(others.map(() => true));
        expect(out[which]).toBe(-12345);
      }),
    );
  });

  it('names registers missing at the end of the data', () => {
    const e: Encoding = { dataType: 'float32', byteOrder: 'big', wordOrder: 'big', scale: 1, offset: 0 };
    const { failed } = run([e], [1, 2, 3], [2]);
    expect(String(failed[0][1])).toMatch(/float32 needs 2 register\(s\), got 1/);
  });
});
