/**
 * Many values out of one read, in one loop. A scan decodes thousands of
 * points per cycle, nearly all of them in a few plain encodings: 16- and
 * 32-bit integers and float32, big-endian bytes, either word order, scale 1
 * and offset 0. Those are read inline here, with no call and no boxed number
 * per value; every other encoding goes through its compiled decoder
 * (codec.ts), and so does any value whose registers fail the quick check, so
 * that the codec names the problem. The layout rules are codec.ts's: big-endian
 * registers (MODBUS 1.1b3 §4.2), the most significant word first unless
 * wordOrder is 'little'.
 */
import { compileDecoder } from './codec.js';
import type { Encoding, RegisterDecoder } from './codec.js';

const GENERIC = 0;
const INT16 = 1;
const UINT16 = 2;
const INT32 = 3;
const UINT32 = 4;
const FLOAT32 = 5;

const bits32 = new Int32Array(1);
const float32 = new Float32Array(bits32.buffer);

function kindOf(enc: Encoding): number {
  if (enc.byteOrder !== 'big' || enc.scale !== 1 || enc.offset !== 0 || enc.bit !== undefined) return GENERIC;
  switch (enc.dataType) {
    case 'int16':
      return INT16;
    case 'uint16':
      return UINT16;
    case 'int32':
      return INT32;
    case 'uint32':
      return UINT32;
    case 'float32':
      return FLOAT32;
    default:
      return GENERIC;
  }
}

export class BatchDecoder {
  private readonly kinds: Uint8Array;
  /** Two-register values: where the most significant word is, 0 or 1 words in. */
  private readonly hiAt: Uint8Array;
  private readonly decoders: readonly RegisterDecoder[];

  /** One encoding per value; a value's index is its position here. */
  constructor(encodings: readonly Encoding[]) {
    this.kinds = Uint8Array.from(encodings, kindOf);
    this.hiAt = Uint8Array.from(encodings, (e) => (e.wordOrder === 'little' ? 1 : 0));
    this.decoders = encodings.map(compileDecoder);
  }

  /**
   * For every j, decodes value `indices[j]`, whose first register is
   * `registers[offsets[j]]`, into `out[indices[j]]`. A value that cannot be
   * decoded leaves `out` alone and is reported to `failed` with the codec's
   * error; the others are still decoded.
   */
  decode(
    registers: readonly number[],
    indices: Int32Array,
    offsets: Int32Array,
    out: Float64Array,
    failed: (index: number, error: unknown) => void,
  ): void {
    const { kinds, hiAt } = this;
    for (let j = 0; j < indices.length; j++) {
      const i = indices[j];
      const at = offsets[j];
      const kind = kinds[i];
      if (kind === INT16 || kind === UINT16) {
        const r = registers[at];
        // (r & 0xffff) === r holds for the integers 0..65535 only, and not for a missing register.
        if ((r & 0xffff) === r) {
          out[i] = kind === INT16 ? (r << 16) >> 16 : r;
          continue;
        }
      } else if (kind !== GENERIC) {
        const hi = registers[at + hiAt[i]];
        const lo = registers[at + 1 - hiAt[i]];
        if ((hi & 0xffff) === hi && (lo & 0xffff) === lo) {
          const bits = (hi << 16) | lo;
          if (kind === FLOAT32) {
            bits32[0] = bits;
            out[i] = float32[0];
          } else out[i] = kind === INT32 ? bits : bits >>> 0;
          continue;
        }
      }
      try {
        out[i] = this.decoders[i](registers, at);
      } catch (err) {
        failed(i, err);
      }
    }
  }
}
