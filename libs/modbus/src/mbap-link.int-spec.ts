/**
 * MbapTcpLink against a bare socket server that answers each request with
 * bytes the test chooses (whole, in pieces, garbage, late, wrong), so every
 * framing rule of mbap-link.ts is seen on a real TCP connection.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { MbapTcpLink } from './mbap-link.js';
import { buildMbapFrame } from './pdu.js';

type Answer = (request: Buffer, socket: Socket) => void;

let server: Server | undefined;
let link: MbapTcpLink | undefined;
const requests: Buffer[] = [];

async function connect(answer: Answer, timeoutMs = 300): Promise<MbapTcpLink> {
  requests.length = 0;
  server = createServer((socket) =>
    socket.on('data', (b) => {
      requests.push(b);
      answer(b, socket);
    }),
  );
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  link = new MbapTcpLink();
  link.on('error', () => undefined);
  link.setTimeout(timeoutMs);
  await link.connectTCP('127.0.0.1', { port });
  return link;
}

afterEach(async () => {
  await new Promise<void>((r) => (link ? link.destroy(() => r()) : r()));
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  link = server = undefined;
});

const tidOf = (req: Buffer): number => req.readUInt16BE(0);
const unitOf = (req: Buffer): number => req[6];
/** A read-registers reply holding 1, 2, ... n. */
const registers = (req: Buffer, n = req.readUInt16BE(10)): Buffer =>
  buildMbapFrame(
    tidOf(req),
    unitOf(req),
    Buffer.from([req[7], 2 * n, ...Array.from({ length: n }, (_, i) => [0, i + 1]).flat()]),
  );

async function failure(
  p: Promise<unknown>,
): Promise<{ message: string; modbusCode?: number; errno?: string }> {
  try {
    await p;
  } catch (err) {
    return err as never;
  }
  throw new Error('expected a failure');
}

describe('MbapTcpLink', () => {
  it('sends the MBAP request the guide prescribes and reads the registers of the reply', async () => {
    const l = await connect((req, s) => s.write(registers(req)));
    l.setID(17);
    expect(await l.readInputRegisters(0x1234, 3)).toEqual({ data: [1, 2, 3] });
    expect([...requests[0]]).toEqual([0, 1, 0, 0, 0, 6, 17, 4, 0x12, 0x34, 0, 3]);
    expect(await l.readHoldingRegisters(7, 1)).toEqual({ data: [1] });
    expect(tidOf(requests[1])).toBe(2); // a new transaction id per request
  });

  it('frames a reply that arrives in pieces (header split too) and two frames in one chunk', async () => {
    const l = await connect((req, s) => {
      const r = registers(req);
      if (tidOf(req) === 1) {
        s.write(r.subarray(0, 3));
        setTimeout(() => s.write(r.subarray(3, 9)), 10);
        setTimeout(() => s.write(r.subarray(9)), 20);
      } else s.write(Buffer.concat([buildMbapFrame(tidOf(req) - 1, 1, Buffer.from([3, 2, 0, 9])), r]));
    });
    expect(await l.readHoldingRegisters(0, 4)).toEqual({ data: [1, 2, 3, 4] });
    // A late reply to the previous transaction first: discarded, the right one taken.
    expect(await l.readHoldingRegisters(0, 2)).toEqual({ data: [1, 2] });
  });

  it('an exception reply rejects with its code, as modbus-serial does', async () => {
    const l = await connect((req, s) => s.write(buildMbapFrame(tidOf(req), 1, Buffer.from([0x83, 2]))));
    expect(await failure(l.readHoldingRegisters(0, 1))).toMatchObject({ modbusCode: 2 });
  });

  it.each([
    [
      'a protocol id other than 0',
      Buffer.from('\x13\x37garbage on the line\r\n', 'latin1'),
      /protocol id 26465/,
    ],
    ['a length too short for a unit id and a function code', Buffer.from([0, 1, 0, 0, 0, 1, 1]), /length 1;/],
    ['a length beyond the largest PDU', Buffer.from([0, 1, 0, 0, 1, 0, 1, 3]), /length 256;/],
  ])('%s is garbage, named at once with its bytes, and the connection is closed', async (_n, bytes, why) => {
    const l = await connect((_req, s) => s.write(bytes), 5000);
    const started = Date.now();
    const e = await failure(l.readHoldingRegisters(0, 1));
    expect(Date.now() - started).toBeLessThan(2000); // not the 5 s timeout
    const head = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
    expect(e.message).toMatch(new RegExp(`^garbage frame: bytes ${head} are no Modbus TCP header`));
    expect(e.message).toMatch(why);
    await new Promise((r) => setTimeout(r, 20));
    expect(l.isOpen).toBe(false);
  });

  it('garbage after a good frame in the same chunk is found too', async () => {
    const l = await connect((req, s) =>
      s.write(
        Buffer.concat([
          buildMbapFrame(tidOf(req) + 7, 1, Buffer.from([3, 2, 0, 1])),
          Buffer.from([0, 2, 0x12, 0x34, 0, 5]),
        ]),
      ),
    );
    expect((await failure(l.readHoldingRegisters(0, 1))).message).toMatch(
      /^garbage frame: bytes 00 02 12 34 00 05 are no Modbus TCP header \(protocol id 4660/,
    );
  });

  it.each([
    [4, '4 byte(s) of a 6-byte MBAP header'],
    [10, '10 of the 13 bytes its MBAP header announced'],
  ])('a timeout with %i bytes of a frame received is a truncated frame saying so', async (n, said) => {
    const l = await connect((req, s) => s.write(registers(req, 2).subarray(0, n)));
    expect((await failure(l.readHoldingRegisters(0, 2))).message).toBe(
      `truncated frame: ${said}, then silence`,
    );
  });

  it("silence is a timeout shaped like modbus-serial's, and a shorter timeout after a longer one is kept", async () => {
    const l = await connect(() => undefined, 3000);
    const first = l.readHoldingRegisters(0, 1);
    // The session gives up on the first (its backstop); the next request brings a much shorter timeout.
    await new Promise((r) => setTimeout(r, 20));
    l.setTimeout(100);
    const started = Date.now();
    const second = failure(l.readHoldingRegisters(1, 1));
    void first.catch(() => undefined);
    expect(await second).toMatchObject({ message: 'Timed out', errno: 'ETIMEDOUT' });
    expect(Date.now() - started).toBeLessThan(1500); // its own 100 ms, not the first request's 3 s
  });

  it.each([
    [
      'the wrong unit id',
      (req: Buffer) => buildMbapFrame(tidOf(req), 9, Buffer.from([3, 2, 0, 1])),
      /^reply from unit 9, the request went to unit 1$/,
    ],
    [
      'the wrong function code',
      (req: Buffer) => buildMbapFrame(tidOf(req), 1, Buffer.from([4, 2, 0, 1])),
      /^reply has function code 4, the request had 3$/,
    ],
    [
      'fewer registers than asked',
      (req: Buffer) => buildMbapFrame(tidOf(req), 1, Buffer.from([3, 2, 0, 1])),
      /byte count 2 with 2 data byte\(s\); the request needs 4/,
    ],
    [
      'a byte count beyond the bytes present',
      (req: Buffer) => buildMbapFrame(tidOf(req), 1, Buffer.from([3, 4, 0, 1, 0])),
      /byte count 4 with 3 data byte\(s\)/,
    ],
  ])('%s is refused, naming what was wrong', async (_n, reply, why) => {
    const l = await connect((req, s) => s.write(reply(req)));
    const e = await failure(l.readHoldingRegisters(0, 2));
    expect(e.message).toMatch(why);
    expect(e.modbusCode).toBeUndefined();
  });

  it('writes: the PDUs of 5, 6, 15, 16 and 22, and the echoed address', async () => {
    const l = await connect((req, s) => {
      const fc = req[7];
      const pdu = fc === 22 ? req.subarray(7, 14) : req.subarray(7, 12);
      s.write(buildMbapFrame(tidOf(req), 1, Buffer.from(pdu)));
    });
    expect(await l.writeCoil(5, true)).toEqual({ address: 5 });
    expect(await l.writeRegister(6, 0xbeef)).toEqual({ address: 6 });
    expect(await l.writeCoils(7, [true, false, true, true, false, false, false, false, true])).toEqual({
      address: 7,
    });
    expect(await l.writeRegisters(8, [1, 0x203])).toEqual({ address: 8 });
    expect(await l.maskWriteRegister(9, 0xff00, 0x0012)).toEqual({ address: 9 });
    expect(requests.map((r) => [...r.subarray(7)])).toEqual([
      [5, 0, 5, 0xff, 0],
      [6, 0, 6, 0xbe, 0xef],
      [15, 0, 7, 0, 9, 2, 0b00001101, 0b00000001],
      [16, 0, 8, 0, 2, 4, 0, 1, 2, 3],
      [22, 0, 9, 0xff, 0, 0, 0x12],
    ]);
  });

  it('reads bits LSB first, whole bytes of them', async () => {
    const l = await connect((req, s) =>
      s.write(buildMbapFrame(tidOf(req), 1, Buffer.from([1, 2, 0b00000101, 0b1]))),
    );
    const { data } = await l.readCoils(0, 9);
    expect(data.slice(0, 9)).toEqual([true, false, true, false, false, false, false, false, true]);
    expect(data).toHaveLength(16);
  });

  it('a closed peer fails the request in flight and says close', async () => {
    let closes = 0;
    const l = await connect((_req, s) => s.destroy());
    l.on('close', () => closes++);
    const e = await failure(l.readHoldingRegisters(0, 1));
    expect(e.message).toBe('connection closed');
    expect(closes).toBe(1);
    expect(await failure(l.readHoldingRegisters(0, 1))).toMatchObject({ message: 'Port Not Open' });
  });
});
