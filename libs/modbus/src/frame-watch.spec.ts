import { describe, expect, it } from '@jest/globals';
import { MbapFrameWatch } from './frame-watch.js';
import { buildMbapFrame } from './pdu.js';

/** A read-registers reply of `n` registers: MBAP header (6), unit id, function 3, byte count, data. */
const reply = (tid: number, n: number): Buffer =>
  buildMbapFrame(tid, 1, Buffer.from([3, 2 * n, ...new Array<number>(2 * n).fill(7)]));

function watch(): { w: MbapFrameWatch; garbage: string[] } {
  const garbage: string[] = [];
  return { w: new MbapFrameWatch((what) => garbage.push(what)), garbage };
}

describe('MbapFrameWatch', () => {
  it('follows whole frames, one or several to a chunk, without complaint', () => {
    const { w, garbage } = watch();
    w.push(reply(1, 2));
    expect(w.partial()).toBeUndefined();
    w.push(Buffer.concat([reply(2, 1), reply(3, 125)]));
    expect(w.partial()).toBeUndefined();
    expect(garbage).toEqual([]);
  });

  it('says how much of a frame has come when it arrives in pieces', () => {
    const { w, garbage } = watch();
    const frame = reply(9, 2); // 6 + 1 + 1 + 1 + 4 = 13 bytes
    expect(frame).toHaveLength(13);
    w.push(frame.subarray(0, 4));
    expect(w.partial()).toBe('4 byte(s) of a 6-byte MBAP header');
    w.push(frame.subarray(4, 10));
    expect(w.partial()).toBe('10 of the 13 bytes its MBAP header announced');
    w.push(frame.subarray(10));
    expect(w.partial()).toBeUndefined();
    expect(garbage).toEqual([]);
  });

  it.each([
    [
      'a protocol id other than 0',
      Buffer.from('\x13\x37garbage on the line\r\n', 'latin1'),
      /protocol id 26465/,
    ],
    ['a length too short for a unit id and a function code', Buffer.from([0, 1, 0, 0, 0, 1, 1]), /length 1;/],
    ['a length beyond the largest PDU', Buffer.from([0, 1, 0, 0, 1, 0, 1, 3]), /length 256;/],
  ])('reports %s as garbage, once, naming the bytes', (_name, bytes, why) => {
    const { w, garbage } = watch();
    w.push(reply(1, 1));
    w.push(bytes);
    w.push(bytes);
    expect(garbage).toHaveLength(1);
    expect(garbage[0]).toMatch(why);
    expect(garbage[0]).toMatch(
      new RegExp(
        `^bytes ${Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ')} are no Modbus TCP header`,
      ),
    );
    expect(w.partial()).toBeUndefined(); // a broken stream has no partial frame to speak of
  });

  it('finds garbage that follows a good frame in the same chunk, and a header split across chunks', () => {
    const { w, garbage } = watch();
    w.push(Buffer.concat([reply(1, 1), Buffer.from([0, 2, 0x12])]));
    expect(garbage).toEqual([]);
    w.push(Buffer.from([0x34, 0, 5]));
    expect(garbage).toHaveLength(1);
    expect(garbage[0]).toMatch(/^bytes 00 02 12 34 00 05 are no Modbus TCP header \(protocol id 4660/);
  });
});
