import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { ByteOrder, ModbusDataType } from '#libs/profiles';
import {
  compileDecoder,
  decodeBit,
  decodeRegisters,
  encodeBit,
  encodeRegisters,
  ModbusCodecError,
  registerCount,
  type Encoding,
} from './codec.js';

const ORDERS: readonly ByteOrder[] = ['big', 'little'];
const NUMERIC: readonly ModbusDataType[] = [
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float32',
  'int64',
  'uint64',
  'float64',
];
const enc = (
  dataType: ModbusDataType,
  byteOrder: ByteOrder = 'big',
  wordOrder: ByteOrder = 'big',
  scale = 1,
  offset = 0,
): Encoding => ({ dataType, byteOrder, wordOrder, scale, offset });

/** Independent of the codec: big-endian words of an unsigned bigint. */
function wordsOf(v: bigint, n: number): number[] {
  const out: number[] = [];
  for (let i = n - 1; i >= 0; i--) out.push(Number((v >> BigInt(16 * i)) & 0xffffn));
  return out;
}
const swap = (w: number): number => ((w & 0xff) << 8) | (w >> 8);
/** Wire layout from the big/big layout, as the codec's header comment defines it. */
function reorder(bigBig: number[], byteOrder: ByteOrder, wordOrder: ByteOrder): number[] {
  const words = wordOrder === 'little' ? bigBig.slice().reverse() : bigBig.slice();
  return byteOrder === 'little' ? words.map(swap) : words;
}

describe('registerCount', () => {
  it.each([
    ['bool', 1],
    ['int16', 1],
    ['uint16', 1],
    ['int32', 2],
    ['uint32', 2],
    ['float32', 2],
    ['int64', 4],
    ['uint64', 4],
    ['float64', 4],
  ] as const)('%s takes %i register(s)', (t, n) => {
    expect(registerCount(t)).toBe(n);
  });

  it('rejects an unknown type by name', () => {
    expect(() => registerCount('int8' as ModbusDataType)).toThrow(/int8/);
  });
});

describe('known vectors (MODBUS 1.1b3 §4.2: registers big-endian on the wire)', () => {
  it.each([
    ['float32', 123.456, 'big', 'big', [0x42f6, 0xe979]],
    ['float32', 123.456, 'big', 'little', [0xe979, 0x42f6]],
    ['float32', 123.456, 'little', 'big', [0xf642, 0x79e9]],
    ['float32', 123.456, 'little', 'little', [0x79e9, 0xf642]],
    ['int32', -2, 'big', 'big', [0xffff, 0xfffe]],
    ['int32', -2, 'big', 'little', [0xfffe, 0xffff]],
    ['uint32', 0x12345678, 'big', 'big', [0x1234, 0x5678]],
    ['uint32', 0x12345678, 'big', 'little', [0x5678, 0x1234]],
    ['uint32', 0x12345678, 'little', 'big', [0x3412, 0x7856]],
    ['uint32', 0x12345678, 'little', 'little', [0x7856, 0x3412]],
    ['int16', -1, 'big', 'big', [0xffff]],
    ['int16', -32768, 'big', 'big', [0x8000]],
    ['uint16', 0x1234, 'little', 'big', [0x3412]],
    ['uint16', 0x1234, 'big', 'little', [0x1234]],
    ['uint64', 0x0001000200030004, 'big', 'big', [1, 2, 3, 4]],
    ['uint64', 0x0001000200030004, 'big', 'little', [4, 3, 2, 1]],
    ['uint64', 0x0001000200030004, 'little', 'big', [0x100, 0x200, 0x300, 0x400]],
    ['int64', -1, 'big', 'big', [0xffff, 0xffff, 0xffff, 0xffff]],
    ['int64', -(2 ** 63), 'big', 'big', [0x8000, 0, 0, 0]],
    ['float64', 1, 'big', 'big', [0x3ff0, 0, 0, 0]],
    ['float64', 1, 'big', 'little', [0, 0, 0, 0x3ff0]],
    ['float64', 123.456, 'big', 'big', [0x405e, 0xdd2f, 0x1a9f, 0xbe77]],
  ] as const)('%s %d byte %s word %s = %j', (t, value, bo, wo, regs) => {
    const e = enc(t, bo, wo);
    expect(encodeRegisters(value, e)).toEqual(regs);
    const expected = t === 'float32' ? Math.fround(value) : value;
    expect(decodeRegisters(regs, e)).toBe(expected);
  });

  it('decodes uint64 all-ones through BigInt (2^64 - 1 rounds to 2^64 as a double)', () => {
    expect(decodeRegisters([0xffff, 0xffff, 0xffff, 0xffff], enc('uint64'))).toBe(2 ** 64);
  });

  it('applies scale and offset: engineering = raw * scale + offset', () => {
    expect(decodeRegisters([215], enc('int16', 'big', 'big', 0.1))).toBeCloseTo(21.5, 12);
    expect(encodeRegisters(21.5, enc('int16', 'big', 'big', 0.1))).toEqual([215]);
    expect(decodeRegisters([600], enc('uint16', 'big', 'big', 0.1, -40))).toBeCloseTo(20, 12);
    expect(encodeRegisters(20, enc('uint16', 'big', 'big', 0.1, -40))).toEqual([600]);
    expect(encodeRegisters(-12.34, enc('int32', 'big', 'big', 0.01))).toEqual([0xffff, 0xfb2e]);
  });

  it('rounds integer raw values to the nearest integer', () => {
    expect(encodeRegisters(21.54, enc('int16', 'big', 'big', 0.1))).toEqual([215]);
    expect(encodeRegisters(21.56, enc('int16', 'big', 'big', 0.1))).toEqual([216]);
  });

  it('keeps float -0.0 through a round trip', () => {
    expect(decodeRegisters([0x8000, 0], enc('float32'))).toBe(-0);
    expect(encodeRegisters(-0, enc('float32'))).toEqual([0x8000, 0]);
  });

  it('passes NaN from a device through on decode', () => {
    expect(decodeRegisters([0x7fc0, 0], enc('float32'))).toBeNaN();
  });
});

describe('bool in a register', () => {
  const b = (bit?: number, byteOrder: ByteOrder = 'big'): Encoding => ({ ...enc('bool', byteOrder), bit });

  it('reads the given bit, 0 = least significant', () => {
    expect(decodeRegisters([0b1010], b(1))).toBe(1);
    expect(decodeRegisters([0b1010], b(2))).toBe(0);
    expect(decodeRegisters([0x8000], b(15))).toBe(1);
  });

  it('numbers bits after the byte swap of a little byte order', () => {
    expect(decodeRegisters([0x0100], b(0, 'little'))).toBe(1);
    expect(decodeRegisters([0x0100], b(8, 'little'))).toBe(0);
  });

  it('without a bit, any non-zero register is 1', () => {
    expect(decodeRegisters([0], b())).toBe(0);
    expect(decodeRegisters([0x4000], b())).toBe(1);
  });

  it('ignores scale and offset', () => {
    expect(decodeRegisters([1], { ...b(), scale: 10, offset: 5 })).toBe(1);
  });

  it('encodes 0/1 into the bit and refuses other values', () => {
    expect(encodeRegisters(1, b(3))).toEqual([8]);
    expect(encodeRegisters(0, b(3))).toEqual([0]);
    expect(encodeRegisters(1, b())).toEqual([1]);
    expect(() => encodeRegisters(2, b())).toThrow(ModbusCodecError);
  });

  it('refuses a bit outside 0..15', () => {
    expect(() => decodeRegisters([1], b(16))).toThrow(/bit 16/);
  });

  it('property: decoding bit n of a register is (register >> n) & 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 15 }), (reg, bit) => {
        expect(decodeRegisters([reg], b(bit))).toBe((reg >> bit) & 1);
      }),
    );
  });
});

describe('coils and discrete inputs', () => {
  it('decodeBit maps a bit to 0/1 without scaling', () => {
    expect(decodeBit(true, { ...enc('bool'), scale: 10, offset: 3 })).toBe(1);
    expect(decodeBit(false)).toBe(0);
  });

  it('encodeBit maps 0/1 and refuses anything else', () => {
    expect(encodeBit(1)).toBe(true);
    expect(encodeBit(0)).toBe(false);
    expect(() => encodeBit(0.5)).toThrow(ModbusCodecError);
  });
});

/** Raw samples per type that are exact in a double. */
const RAW_SAMPLES: Record<ModbusDataType, number[]> = {
  bool: [],
  int16: [-32768, -1, 0, 1, 12345, 32767],
  uint16: [0, 1, 0x1234, 65535],
  int32: [-(2 ** 31), -2, 0, 123456789, 2 ** 31 - 1],
  uint32: [0, 1, 0x12345678, 2 ** 32 - 1],
  float32: [0, -1.5, Math.fround(123.456), Math.fround(-3.4e38), Math.fround(1e-40)],
  int64: [-(2 ** 63), -(2 ** 53), -1, 0, 2 ** 53, 2 ** 62],
  uint64: [0, 1, 2 ** 53 + 2, 2 ** 63],
  float64: [0, -1.5, 123.456, 1.7e307, 5e-324],
};
const SCALINGS: readonly [number, number][] = [
  [1, 0],
  [0.1, 0],
  [10, -40],
  [0.01, 273.15],
];

describe('round trips: every type x byte order x word order x scaling', () => {
  const cases = NUMERIC.flatMap((t) =>
    ORDERS.flatMap((bo) => ORDERS.flatMap((wo) => SCALINGS.map(([s, o]) => [t, bo, wo, s, o] as const))),
  );
  it.each(cases)('%s byte %s word %s scale %d offset %d', (t, bo, wo, scale, offset) => {
    for (const raw of RAW_SAMPLES[t]) {
      const value = raw * scale + offset;
      const regs = encodeRegisters(value, enc(t, bo, wo, scale, offset));
      expect(regs).toHaveLength(registerCount(t));
      // Same bytes as the big/big layout, moved only by the declared reordering.
      expect(regs).toEqual(reorder(encodeRegisters(value, enc(t, 'big', 'big', scale, offset)), bo, wo));
      const back = decodeRegisters(regs, enc(t, bo, wo, scale, offset));
      // Unscaled: exact. Scaled: within floating-point noise of the value.
      const tolerance = scale === 1 && offset === 0 ? 0 : Math.abs(value) * 1e-12 + Math.abs(scale) * 1e-6;
      expect(Math.abs(back - value)).toBeLessThanOrEqual(tolerance);
    }
  });
});

describe('property tests', () => {
  const orders = fc.constantFrom(...ORDERS);
  const INT_BITS: Partial<Record<ModbusDataType, [number, boolean]>> = {
    int16: [16, true],
    uint16: [16, false],
    int32: [32, true],
    uint32: [32, false],
    int64: [64, true],
    uint64: [64, false],
  };

  it('integers: registers built independently from a bigint decode to it and encode back', () => {
    const intType = fc.constantFrom(...(Object.keys(INT_BITS) as ModbusDataType[]));
    fc.assert(
      fc.property(intType, orders, orders, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (t, bo, wo, seed) => {
        const [bits, signed] = INT_BITS[t]!;
        // Keep 64-bit values within the doubles that are exact integers.
        const width = bits === 64 ? 53 : bits;
        let v = seed & ((1n << BigInt(width)) - 1n);
        if (signed) v -= 1n << BigInt(width - 1);
        const unsigned = v < 0n ? v + (1n << BigInt(bits)) : v;
        const regs = reorder(wordsOf(unsigned, bits / 16), bo, wo);
        const e = enc(t, bo, wo);
        expect(decodeRegisters(regs, e)).toBe(Number(v));
        expect(encodeRegisters(Number(v), e)).toEqual(regs);
      }),
    );
  });

  it('floats: any finite register pattern decodes and re-encodes to the same registers', () => {
    const floatType = fc.constantFrom<ModbusDataType>('float32', 'float64');
    fc.assert(
      fc.property(
        floatType,
        orders,
        orders,
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 4, maxLength: 4 }),
        (t, bo, wo, words) => {
          const regs = words.slice(0, registerCount(t));
          const e = enc(t, bo, wo);
          const v = decodeRegisters(regs, e);
          fc.pre(Number.isFinite(v));
          expect(encodeRegisters(v, e)).toEqual(regs);
        },
      ),
    );
  });

  it('scaled integers: raw * scale + offset encodes back to raw', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ModbusDataType>('int16', 'int32', 'int64'),
        orders,
        orders,
        fc.integer({ min: -32768, max: 32767 }),
        fc.constantFrom(0.1, 0.5, 2, 10, 0.001),
        fc.integer({ min: -1000, max: 1000 }),
        (t, bo, wo, raw, scale, offset) => {
          const e = enc(t, bo, wo, scale, offset);
          expect(encodeRegisters(raw * scale + offset, e)).toEqual(encodeRegisters(raw, enc(t, bo, wo)));
        },
      ),
    );
  });

  it('float32: encode then decode gives the float32 nearest the value', () => {
    fc.assert(
      fc.property(orders, orders, fc.double({ min: -3e38, max: 3e38, noNaN: true }), (bo, wo, v) => {
        expect(decodeRegisters(encodeRegisters(v, enc('float32', bo, wo)), enc('float32', bo, wo))).toBe(
          Math.fround(v),
        );
      }),
    );
  });

  it('integers out of range always throw ModbusCodecError naming type and value', () => {
    const limits: [ModbusDataType, number, number][] = [
      ['int16', -32768, 32767],
      ['uint16', 0, 65535],
      ['int32', -(2 ** 31), 2 ** 31 - 1],
      ['uint32', 0, 2 ** 32 - 1],
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...limits),
        fc.integer({ min: 1, max: 1e9 }),
        fc.boolean(),
        ([t, lo, hi], d, up) => {
          const value = up ? hi + d : lo - d;
          expect(() => encodeRegisters(value, enc(t))).toThrow(ModbusCodecError);
          expect(() => encodeRegisters(value, enc(t))).toThrow(new RegExp(`${t}.*${value}`));
        },
      ),
    );
  });
});

describe('overflow and invalid input', () => {
  it.each([
    ['int16', 40000],
    ['int16', -32769],
    ['uint16', -1],
    ['uint16', 65536],
    ['int32', 2 ** 31],
    ['uint32', 2 ** 32],
    ['uint32', -0.6],
    ['int64', 2 ** 63],
    ['uint64', 2 ** 64],
    ['uint64', -1],
    ['float32', 1e39],
    ['float32', -1e39],
    ['float64', Infinity],
    ['float32', NaN],
    ['int16', NaN],
  ] as const)('%s cannot hold %d', (t, value) => {
    let caught: unknown;
    try {
      encodeRegisters(value, enc(t));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ModbusCodecError);
    const err = caught as ModbusCodecError;
    expect(err.name).toBe('ModbusCodecError');
    expect(err.message).toContain(t);
    expect(err.message).toContain(String(value));
    expect(err.dataType).toBe(t);
  });

  it('accepts values that round into range (uint16 -0.4 -> 0)', () => {
    expect(encodeRegisters(-0.4, enc('uint16'))).toEqual([0]);
  });

  it('checks the range after scaling', () => {
    expect(() => encodeRegisters(3276.8, enc('int16', 'big', 'big', 0.1))).toThrow(
      /int16 cannot hold 3276.8/,
    );
    expect(encodeRegisters(3276.7, enc('int16', 'big', 'big', 0.1))).toEqual([32767]);
  });

  it('refuses a zero scale on encode', () => {
    expect(() => encodeRegisters(1, enc('int16', 'big', 'big', 0))).toThrow(/scale 0/);
  });

  it('refuses too few registers and registers that are not 16-bit', () => {
    expect(() => decodeRegisters([1], enc('int32'))).toThrow(/int32 needs 2 register/);
    expect(() => decodeRegisters([0x10000], enc('uint16'))).toThrow(ModbusCodecError);
    expect(() => decodeRegisters([-1], enc('int16'))).toThrow(ModbusCodecError);
  });
});

describe('compileDecoder (one decoder per encoding, reading in place)', () => {
  it("decodes a value at an offset into a request's data exactly as decodeRegisters decodes its slice", () => {
    const types: ModbusDataType[] = [...NUMERIC, 'bool'];
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.constantFrom(...ORDERS),
        fc.constantFrom(...ORDERS),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 12 }),
        fc.nat(4),
        (dataType, byteOrder, wordOrder, data, at) => {
          const e = {
            ...enc(dataType, byteOrder, wordOrder, 0.5, -3),
            bit: dataType === 'bool' ? 3 : undefined,
          };
          const n = registerCount(dataType);
          expect(Object.is(compileDecoder(e)(data, at), decodeRegisters(data.slice(at, at + n), e))).toBe(
            true,
          );
        },
      ),
    );
  });

  it('refuses too few registers left at the offset, and a register that is not 16-bit', () => {
    const f32 = compileDecoder(enc('float32'));
    expect(() => f32([1, 2, 3], 2)).toThrow('float32 needs 2 register(s), got 1');
    expect(() => f32([1, 2, 3], 5)).toThrow('float32 needs 2 register(s), got 0');
    expect(() => f32([0, 1.5], 0)).toThrow(ModbusCodecError);
    expect(() => compileDecoder(enc('int16'))([7, Number.NaN], 1)).toThrow(/not an unsigned 16-bit/);
  });
});
