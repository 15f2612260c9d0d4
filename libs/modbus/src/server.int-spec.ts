/**
 * Our Modbus TCP server on 127.0.0.1, port 0, checked byte for byte through a
 * bare socket (test-support/raw-peer.ts).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mbap, RawPeer } from '../test-support/raw-peer.js';
import type { ModbusHandler, ModbusReply, ModbusRequest } from './pdu.js';
import { ModbusTcpServer } from './server.js';

const servers: ModbusTcpServer[] = [];
const peers: RawPeer[] = [];
afterEach(async () => {
  peers.splice(0).forEach((p) => p.destroy());
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(
  handler: ModbusHandler,
): Promise<{ server: ModbusTcpServer; peer: RawPeer; port: number }> {
  const server = new ModbusTcpServer({ host: '127.0.0.1', port: 0, handler });
  servers.push(server);
  const { port } = await server.listen();
  const peer = await RawPeer.connect(port);
  peers.push(peer);
  return { server, peer, port };
}

/** Holding/input registers hold their own address; coils are on at even addresses. */
const echoHandler: ModbusHandler = (req) => {
  if (req.functionCode === 3 || req.functionCode === 4) {
    return { registers: Array.from({ length: req.quantity }, (_, i) => req.address + i) };
  }
  if (req.functionCode === 1 || req.functionCode === 2) {
    return { bits: Array.from({ length: req.quantity }, (_, i) => (req.address + i) % 2 === 0) };
  }
  return { ok: true };
};

const hex = (b: Buffer): string => b.toString('hex');

describe('ModbusTcpServer', () => {
  it('listens on a free port when given 0 and answers function 3 with an MBAP frame', async () => {
    const { peer, port } = await start(echoHandler);
    expect(port).toBeGreaterThan(0);
    await peer.send(mbap(0x1234, 7, [3, 0x00, 0x10, 0x00, 0x02]));
    const [reply] = await peer.frames(1);
    // tid 1234, protocol 0, length 7, unit 7, fc 3, 4 bytes, 0x0010, 0x0011
    expect(hex(reply)).toBe('12340000000707030400100011');
  });

  it('packs bits LSB first for functions 1 and 2 (1.1b3 §6.1)', async () => {
    const { peer } = await start(echoHandler);
    await peer.send(mbap(1, 1, [1, 0, 0, 0, 10]));
    await peer.send(mbap(2, 1, [2, 0, 1, 0, 3]));
    const [coils, inputs] = await peer.frames(2);
    expect(hex(coils.subarray(7))).toBe('01025501'); // 0,2,4,6 on = 0x55; 8 on = 0x01
    expect(hex(inputs.subarray(7))).toBe('020102'); // addresses 1,2,3: off,on,off
  });

  it('decodes writes 5, 6, 15, 16 for the handler and echoes them as §6.5/6/11/12 say', async () => {
    const seen: ModbusRequest[] = [];
    const { peer } = await start((req) => {
      seen.push(req);
      return { ok: true };
    });
    await peer.send(mbap(1, 1, [5, 0, 9, 0xff, 0x00]));
    await peer.send(mbap(2, 1, [6, 0, 3, 0xab, 0xcd]));
    await peer.send(mbap(3, 1, [15, 0, 20, 0, 10, 2, 0b0000_0101, 0b10]));
    await peer.send(mbap(4, 1, [16, 0, 100, 0, 2, 4, 0x00, 0x01, 0xff, 0xff]));
    const replies = await peer.frames(4);
    expect(replies.map((r) => hex(r.subarray(7)))).toEqual([
      '050009ff00',
      '060003abcd',
      '0f0014000a',
      '1000640002',
    ]);
    expect(seen.map(({ transactionId: _t, ...r }) => r)).toEqual([
      { unitId: 1, functionCode: 5, address: 9, quantity: 1, values: [true] },
      { unitId: 1, functionCode: 6, address: 3, quantity: 1, values: [0xabcd] },
      {
        unitId: 1,
        functionCode: 15,
        address: 20,
        quantity: 10,
        values: [true, false, true, false, false, false, false, false, false, true],
      },
      { unitId: 1, functionCode: 16, address: 100, quantity: 2, values: [1, 0xffff] },
    ]);
    expect(seen.map((r) => r.transactionId)).toEqual([1, 2, 3, 4]);
  });

  it('answers several requests pipelined in one chunk, in order', async () => {
    const { peer, server } = await start(echoHandler);
    await peer.send(Buffer.concat([1, 2, 3].map((tid) => mbap(tid, 1, [3, 0, tid, 0, 1]))));
    const replies = await peer.frames(3);
    expect(replies.map((r) => r.readUInt16BE(0))).toEqual([1, 2, 3]);
    expect(replies.map((r) => r.readUInt16BE(9))).toEqual([1, 2, 3]);
    expect(server.requestCount).toBe(3);
  });

  it('reassembles a request split across chunks, byte by byte', async () => {
    const { peer } = await start(echoHandler);
    const frame = mbap(9, 1, [4, 0, 5, 0, 1]);
    for (const byte of frame) {
      await peer.send([byte]);
      await new Promise((r) => setTimeout(r, 2));
    }
    const [reply] = await peer.frames(1);
    expect(hex(reply)).toBe('000900000005010402' + '0005');
  });

  it('keeps replies in request order when an async handler finishes later than a sync one', async () => {
    const { peer } = await start((req): ModbusReply | Promise<ModbusReply> => {
      const reply = { registers: [req.address] };
      return req.address === 1 ? new Promise((r) => setTimeout(() => r(reply), 30)) : reply;
    });
    await peer.send(Buffer.concat([1, 2, 3].map((a) => mbap(a, 1, [3, 0, a, 0, 1]))));
    const replies = await peer.frames(3);
    expect(replies.map((r) => r.readUInt16BE(9))).toEqual([1, 2, 3]);
  });

  it('answers an unsupported function code with exception 1', async () => {
    const { peer } = await start(echoHandler);
    await peer.send(mbap(1, 1, [0x2b, 0x0e, 1, 0]));
    await peer.send(mbap(2, 1, [7]));
    const replies = await peer.frames(2);
    expect(replies.map((r) => hex(r.subarray(7)))).toEqual(['ab01', '8701']);
  });

  it.each([
    ['quantity 0', [3, 0, 0, 0, 0]],
    ['quantity 126 registers', [3, 0, 0, 0, 126]],
    ['quantity 2001 bits', [1, 0, 0, 0x07, 0xd1]],
    ['a PDU too short', [4, 0, 0]],
    ['a PDU too long', [3, 0, 0, 0, 1, 0]],
    ['coil value other than 0xFF00/0x0000', [5, 0, 1, 0x12, 0x34]],
    ['byte count not matching the quantity', [16, 0, 0, 0, 2, 3, 0, 1, 0, 2]],
    ['fewer data bytes than the byte count', [15, 0, 0, 0, 9, 2, 0xff]],
  ])('answers %s with exception 3', async (_name, pdu) => {
    const { peer } = await start(echoHandler);
    await peer.send(mbap(1, 1, pdu));
    const [reply] = await peer.frames(1);
    expect(hex(reply.subarray(7))).toBe(((pdu[0] | 0x80).toString(16) + '03').padStart(4, '0'));
  });

  it('answers a read running past address 65535 with exception 2', async () => {
    const { peer } = await start(echoHandler);
    await peer.send(mbap(1, 1, [3, 0xff, 0xff, 0, 2]));
    expect(hex((await peer.frames(1))[0].subarray(7))).toBe('8302');
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('boom');
      },
    ],
    ['rejects', () => Promise.reject(new Error('boom'))],
    ['returns the wrong number of registers', () => ({ registers: [1, 2, 3] })],
    ['returns a register that is not 16-bit', () => ({ registers: [0x10000] })],
    ['returns bits to a register read', () => ({ bits: [true] })],
    ['returns an invalid exception code', () => ({ exception: 0 })],
  ] as [string, ModbusHandler][])('answers exception 4 when the handler %s', async (_name, handler) => {
    const { peer } = await start(handler);
    await peer.send(mbap(1, 1, [3, 0, 0, 0, 1]));
    expect(hex((await peer.frames(1))[0].subarray(7))).toBe('8304');
  });

  it('sends the exception the handler asks for', async () => {
    const { peer } = await start(() => ({ exception: 0x0b }));
    await peer.send(mbap(1, 5, [4, 0, 0, 0, 1]));
    expect(hex((await peer.frames(1))[0])).toBe('000100000003058' + '40b');
  });

  it('drop sends nothing, and the next request is still answered', async () => {
    const { peer, server } = await start((req) => (req.address === 0 ? { drop: true } : echoHandler(req)));
    await peer.send(mbap(1, 1, [3, 0, 0, 0, 1]));
    expect(await peer.silentFor(50)).toBe(true);
    await peer.send(mbap(2, 1, [3, 0, 1, 0, 1]));
    expect((await peer.frames(1))[0].readUInt16BE(0)).toBe(2);
    expect(server.requestCount).toBe(2);
  });

  it('raw sends exactly the given bytes', async () => {
    const { peer } = await start(() => ({ raw: Buffer.from([0xde, 0xad, 0, 0, 0, 1, 0xff]) }));
    await peer.send(mbap(1, 1, [3, 0, 0, 0, 1]));
    expect(hex((await peer.frames(1))[0])).toBe('dead00000001ff');
  });

  it('discards a frame with a non-zero protocol id and answers the next one', async () => {
    const { peer, server } = await start(echoHandler);
    await peer.send(Buffer.concat([mbap(1, 1, [3, 0, 0, 0, 1], 1), mbap(2, 1, [3, 0, 0, 0, 1])]));
    const [reply] = await peer.frames(1);
    expect(reply.readUInt16BE(0)).toBe(2);
    expect(server.requestCount).toBe(1);
  });

  it('closes the connection when an MBAP length cannot be framed', async () => {
    const { peer } = await start(echoHandler);
    await peer.send([0, 1, 0, 0, 0x01, 0x00, 1, 3]); // length 256 > 254
    expect(await peer.waitClosed()).toBe(true);
  });

  it('close() destroys open connections and frees the port', async () => {
    const { server, peer, port } = await start(echoHandler);
    await server.close();
    expect(await peer.waitClosed()).toBe(true);
    const again = new ModbusTcpServer({ host: '127.0.0.1', port, handler: echoHandler });
    servers.push(again);
    expect((await again.listen()).port).toBe(port);
  });

  it('serves several connections independently', async () => {
    const { peer, port } = await start(echoHandler);
    const other = await RawPeer.connect(port);
    peers.push(other);
    await other.send(mbap(7, 1, [3, 0, 7, 0, 1]));
    await peer.send(mbap(8, 1, [3, 0, 8, 0, 1]));
    expect((await other.frames(1))[0].readUInt16BE(0)).toBe(7);
    expect((await peer.frames(1))[0].readUInt16BE(0)).toBe(8);
  });
});
