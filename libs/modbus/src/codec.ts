/**
 * Register codecs: engineering value <-> 16-bit registers.
 *
 * MODBUS Application Protocol 1.1b3 §4.2: a register is 16 bits and goes on
 * the wire big-endian (high byte first). The protocol says nothing about values
 * wider than one register, so the order of the 16-bit words of a 32/64-bit value
 * is vendor-defined (`wordOrder`). Some devices also swap the two bytes inside
 * each register (`byteOrder`). Both are spelled out per point, never guessed.
 *
 * Layout used here, for a value of N registers: write the value big-endian into
 * 2N bytes, cut them into N words (most significant first), reverse the words
 * when wordOrder is 'little', swap the bytes of every word when byteOrder is
 * 'little'. The register numbers returned are the values as read off the wire
 * (§4.2 big-endian), so [0x42F6, 0xE979] is float32 123.456 in big/big order.
 *
 * engineering = raw * scale + offset; raw = (engineering - offset) / scale.
 */
import { isModbusDataType, modbusRegisterCount } from '#libs/profiles';
import type { ByteOrder, ModbusDataType } from '#libs/profiles';

export interface Encoding {
  dataType: ModbusDataType;
  byteOrder: ByteOrder;
  wordOrder: ByteOrder;
  scale: number;
  offset: number;
  /** For a bool packed in a holding/input register: the bit, 0 = least significant. */
  bit?: number;
}

/** A value that cannot be represented in the point's data type, or registers that cannot be decoded. */
export class ModbusCodecError extends Error {
  override readonly name = 'ModbusCodecError';
  constructor(
    message: string,
    readonly dataType: ModbusDataType,
    readonly value?: number,
  ) {
    super(message);
  }
}

/** Registers (or, for coils and discrete inputs, bits) one value of this type occupies. */
export function registerCount(dataType: ModbusDataType): number {
  // The table lives with the profile types (libs/profiles encoding.ts), so validation and decoding agree.
  if (!isModbusDataType(dataType))
    throw new ModbusCodecError(`unknown Modbus data type "${String(dataType)}"`, dataType);
  return modbusRegisterCount(dataType);
}

const INT_RANGES: Partial<Record<ModbusDataType, readonly [bigint, bigint]>> = {
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

function swap16(word: number): number {
  return ((word & 0xff) << 8) | (word >>> 8);
}

function checkRegister(r: number, dataType: ModbusDataType): void {
  if (!Number.isInteger(r) || r < 0 || r > 0xffff) {
    throw new ModbusCodecError(
      `${dataType}: register value ${r} is not an unsigned 16-bit integer`,
      dataType,
    );
  }
}

/** Logical words (most significant first) -> wire registers: the inverse of the reordering in compileDecoder. */
function toWireRegisters(words: number[], enc: Encoding): number[] {
  const ordered = enc.wordOrder === 'little' ? words.slice().reverse() : words;
  return enc.byteOrder === 'little' ? ordered.map(swap16) : ordered;
}

function checkBit(enc: Encoding): number | undefined {
  if (enc.bit === undefined) return undefined;
  if (!Number.isInteger(enc.bit) || enc.bit < 0 || enc.bit > 15) {
    throw new ModbusCodecError(`bool: bit ${enc.bit} is outside 0..15`, enc.dataType);
  }
  return enc.bit;
}

/** Decodes the value whose first register is `registers[at]` (default 0). */
export type RegisterDecoder = (registers: readonly number[], at?: number) => number;

type RawReader = (view: DataView) => number;

/** The four-register types, read from the scratch buffer once their words are in logical order. */
const WIDE: Partial<Record<ModbusDataType, RawReader>> = {
  int64: (v) => Number(v.getBigInt64(0)),
  uint64: (v) => Number(v.getBigUint64(0)),
  float64: (v) => v.getFloat64(0),
};

/** Scratch for reassembling a value's bytes; decoders are synchronous, so one buffer serves them all. */
const scratch = new DataView(new ArrayBuffer(8));

/**
 * Registers -> engineering value (raw * scale + offset), as a decoder compiled
 * once per encoding: a scan decodes thousands of points with a handful of
 * encodings, so the byte/word reordering and the type dispatch are settled
 * here, not per value. The decoder reads the value's registers straight out of
 * a request's data at `at`, applying wordOrder then byteOrder (the layout
 * above) and checking each register is an unsigned 16-bit value.
 * bool: with `bit`, that bit of the register (after byteOrder is applied), else
 * register != 0; returns 0 or 1 and ignores scale/offset. 64-bit integers are
 * read as BigInt and then converted, so values beyond 2^53 lose precision.
 * Non-finite floats (NaN, ±Infinity, which some devices send for "no value")
 * are passed through.
 */
export function compileDecoder(enc: Encoding): RegisterDecoder {
  const { dataType, scale, offset } = enc;
  const n = registerCount(dataType);
  const raw = n === 4 ? wideReader(enc) : narrowReader(enc, n);
  if (dataType === 'bool')
    return (registers, at = 0) => {
      const word = raw(registers, at);
      const bit = checkBit(enc);
      return bit === undefined ? (word !== 0 ? 1 : 0) : (word >>> bit) & 1;
    };
  // Skipping a zero offset keeps -0.0 (a legal float pattern) round-tripping: -0 + 0 is +0.
  if (offset === 0 && scale === 1) return raw; // no wrapper: a scan calls this once per point
  if (offset === 0) return (registers, at = 0) => raw(registers, at) * scale;
  return (registers, at = 0) => raw(registers, at) * scale + offset;
}

type Reader = (registers: readonly number[], at?: number) => number;

/** The registers at `at`, checked: too few, or one that is not an unsigned 16-bit value, is a ModbusCodecError. */
function need(registers: readonly number[], at: number, n: number, dataType: ModbusDataType): void {
  if (registers.length - at < n)
    throw new ModbusCodecError(
      `${dataType} needs ${n} register(s), got ${Math.max(0, registers.length - at)}`,
      dataType,
    );
  for (let i = 0; i < n; i++) {
    const r = registers[at + i];
    // (r & 0xffff) === r holds exactly for the integers 0..65535 (NaN, fractions, negatives and larger fail).
    if ((r & 0xffff) !== r) checkRegister(r, dataType);
  }
}

/** Aliases for reinterpreting a value's 32 bits as a float32 (same bytes, so platform byte order does not matter). */
const bits32 = new Int32Array(1);
const float32 = new Float32Array(bits32.buffer);

/**
 * One- and two-register types in plain integer arithmetic: the value's 32 bits
 * are hi << 16 | lo. One flat closure per width and type (the byte order is a
 * constant it tests), so a scan's decode call makes no further calls and
 * boxes no intermediate number. `(r & 0xffff) !== r` is the whole register
 * check on the good path: it holds for the integers 0..65535 only, and also
 * catches a missing register (undefined), for which need() then names the
 * problem.
 */
function narrowReader(enc: Encoding, n: number): Reader {
  const { dataType } = enc;
  const swapBytes = enc.byteOrder === 'little';
  if (n === 1) {
    const signed = dataType === 'int16';
    return (registers, at = 0) => {
      const r = registers[at];
      if ((r & 0xffff) !== r) need(registers, at, 1, dataType);
      const w = swapBytes ? swap16(r) : r;
      return signed ? (w << 16) >> 16 : w;
    };
  }
  // Two registers: the most significant word is the first on the wire, or the second when wordOrder is 'little'.
  const hiAt = enc.wordOrder === 'little' ? 1 : 0;
  const loAt = 1 - hiAt;
  if (dataType === 'int32')
    return (registers, at = 0) => {
      const hi = registers[at + hiAt];
      const lo = registers[at + loAt];
      if ((hi & 0xffff) !== hi || (lo & 0xffff) !== lo) need(registers, at, 2, dataType);
      return swapBytes ? (swap16(hi) << 16) | swap16(lo) : (hi << 16) | lo;
    };
  if (dataType === 'uint32')
    return (registers, at = 0) => {
      const hi = registers[at + hiAt];
      const lo = registers[at + loAt];
      if ((hi & 0xffff) !== hi || (lo & 0xffff) !== lo) need(registers, at, 2, dataType);
      return (swapBytes ? (swap16(hi) << 16) | swap16(lo) : (hi << 16) | lo) >>> 0;
    };
  return (registers, at = 0) => {
    const hi = registers[at + hiAt];
    const lo = registers[at + loAt];
    if ((hi & 0xffff) !== hi || (lo & 0xffff) !== lo) need(registers, at, 2, dataType);
    bits32[0] = swapBytes ? (swap16(hi) << 16) | swap16(lo) : (hi << 16) | lo;
    return float32[0];
  };
}

/** Four-register types: the words are laid into the scratch buffer in logical order, then read as one value. */
function wideReader(enc: Encoding): Reader {
  const { dataType } = enc;
  const swapBytes = enc.byteOrder === 'little';
  const reverse = enc.wordOrder === 'little';
  const read = WIDE[dataType]!;
  return (registers, at = 0) => {
    need(registers, at, 4, dataType);
    for (let i = 0; i < 4; i++) {
      const r = registers[at + i];
      // Logical word i (most significant first) is wire register i, or 3-i when wordOrder is 'little'.
      scratch.setUint16(2 * (reverse ? 3 - i : i), swapBytes ? swap16(r) : r);
    }
    return read(scratch);
  };
}

/** Registers -> engineering value; see compileDecoder, which a caller decoding many values should use. */
export function decodeRegisters(registers: readonly number[], enc: Encoding): number {
  return compileDecoder(enc)(registers, 0);
}

/**
 * Engineering value -> wire registers. raw = (value - offset) / scale, rounded
 * to the nearest integer for integer types. Throws ModbusCodecError when the
 * value is not finite or the raw value does not fit the type.
 * bool: the value must be 0 or 1; with `bit`, only that bit is set in the
 * returned register, so writing a packed bit needs a read-modify-write by the caller.
 */
export function encodeRegisters(value: number, enc: Encoding): number[] {
  const { dataType } = enc;
  const n = registerCount(dataType);
  if (dataType === 'bool') {
    if (value !== 0 && value !== 1) {
      throw new ModbusCodecError(`bool cannot hold ${value}: expected 0 or 1`, dataType, value);
    }
    const bit = checkBit(enc);
    return toWireRegisters([bit === undefined ? value : value << bit], enc);
  }
  if (!Number.isFinite(value)) {
    throw new ModbusCodecError(`${dataType} cannot hold ${value}: not a finite number`, dataType, value);
  }
  if (!Number.isFinite(enc.scale) || enc.scale === 0 || !Number.isFinite(enc.offset)) {
    throw new ModbusCodecError(
      `${dataType}: cannot encode ${value} with scale ${enc.scale} and offset ${enc.offset}`,
      dataType,
      value,
    );
  }
  const exact = (value - enc.offset) / enc.scale;
  const view = new DataView(new ArrayBuffer(n * 2));
  const range = INT_RANGES[dataType];
  if (range) {
    const rounded = Math.round(exact);
    const big = Number.isFinite(rounded) ? BigInt(rounded) : undefined;
    if (big === undefined || big < range[0] || big > range[1]) {
      throw new ModbusCodecError(
        `${dataType} cannot hold ${value}: raw value ${rounded} (scale ${enc.scale}, offset ${enc.offset}) is outside ${range[0]}..${range[1]}`,
        dataType,
        value,
      );
    }
    writeInt(view, dataType, big);
  } else if (dataType === 'float32') {
    if (!Number.isFinite(Math.fround(exact))) {
      throw new ModbusCodecError(
        `float32 cannot hold ${value}: raw value ${exact} (scale ${enc.scale}, offset ${enc.offset}) overflows float32`,
        dataType,
        value,
      );
    }
    view.setFloat32(0, exact);
  } else {
    if (!Number.isFinite(exact)) {
      throw new ModbusCodecError(
        `float64 cannot hold ${value}: raw value ${exact} (scale ${enc.scale}, offset ${enc.offset}) overflows float64`,
        dataType,
        value,
      );
    }
    view.setFloat64(0, exact);
  }
  const words: number[] = [];
  for (let i = 0; i < n; i++) words.push(view.getUint16(i * 2));
  return toWireRegisters(words, enc);
}

function writeInt(view: DataView, dataType: ModbusDataType, v: bigint): void {
  switch (dataType) {
    case 'int16':
      return view.setInt16(0, Number(v));
    case 'uint16':
      return view.setUint16(0, Number(v));
    case 'int32':
      return view.setInt32(0, Number(v));
    case 'uint32':
      return view.setUint32(0, Number(v));
    case 'int64':
      return view.setBigInt64(0, v);
    case 'uint64':
      return view.setBigUint64(0, v);
    case 'bool':
    case 'float32':
    case 'float64':
      throw new ModbusCodecError(`${dataType} is not an integer type`, dataType);
  }
}

/** Coil / discrete input (1.1b3 §6.1, §6.2) -> 0 or 1. Scale and offset do not apply to bits. */
export function decodeBit(b: boolean, _enc?: Encoding): number {
  return b ? 1 : 0;
}

/** 0 or 1 -> coil state (1.1b3 §6.5: ON is 0xFF00, OFF 0x0000 on the wire). Anything else is an error. */
export function encodeBit(v: number): boolean {
  if (v !== 0 && v !== 1) throw new ModbusCodecError(`bool cannot hold ${v}: expected 0 or 1`, 'bool', v);
  return v === 1;
}
