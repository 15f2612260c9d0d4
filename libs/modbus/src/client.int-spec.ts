/**
 * ModbusClient (over modbus-serial) against our own ModbusTcpServer on
 * 127.0.0.1, port 0: every function, named exceptions, and one fault per test
 * (dropped request, garbage, truncated frame, wrong unit id, closed peer).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ModbusClient } from './client.js';
import { ModbusError } from './errors.js';
import { buildMbapFrame, type ModbusHandler, type ModbusRequest } from './pdu.js';
import { ModbusTcpServer } from './server.js';

const TIMEOUT_MS = 150;
let handler: ModbusHandler;
let seen: ModbusRequest[];
let server: ModbusTcpServer;
let port: number;
const clients: ModbusClient[] = [];

/** Registers hold address * 10 + unit id; coils are on at odd addresses. */
const defaultHandler: ModbusHandler = (req) => {
  seen.push(req);
  switch (req.functionCode) {
    case 3:
    case 4:
      return {
        registers: Array.from({ length: req.quantity }, (_, i) => (req.address + i) * 10 + req.unitId),
      };
    case 1:
    case 2:
      return { bits: Array.from({ length: req.quantity }, (_, i) => (req.address + i) % 2 === 1) };
    default:
      return { ok: true };
  }
};

async function connect(timeoutMs = TIMEOUT_MS, p = port): Promise<ModbusClient> {
  const c = await ModbusClient.connectTcp({ host: '127.0.0.1', port: p, timeoutMs });
  clients.push(c);
  return c;
}

async function failure(p: Promise<unknown>): Promise<ModbusError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ModbusError);
    return e as ModbusError;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  server = new ModbusTcpServer({ host: '127.0.0.1', port: 0, handler: (req) => handler(req) });
  port = (await server.listen()).port;
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  handler = defaultHandler;
  seen = [];
});
afterAll(() => server.close());
handler = defaultHandler;
seen = [];

describe('ModbusClient over TCP against our server', () => {
  it('reads holding and input registers (functions 3, 4)', async () => {
    const c = await connect();
    expect(c.isOpen).toBe(true);
    expect(await c.readRegisters(1, 3, 100, 3)).toEqual([1001, 1011, 1021]);
    expect(await c.readRegisters(2, 4, 0, 2)).toEqual([2, 12]);
    expect(seen.map((r) => [r.unitId, r.functionCode, r.address, r.quantity])).toEqual([
      [1, 3, 100, 3],
      [2, 4, 0, 2],
    ]);
  });

  it('reads exactly the requested number of coils and discrete inputs (functions 1, 2)', async () => {
    const c = await connect();
    expect(await c.readBits(1, 1, 0, 5)).toEqual([false, true, false, true, false]);
    expect(await c.readBits(1, 2, 7, 10)).toHaveLength(10);
    expect(seen.map((r) => r.functionCode)).toEqual([1, 2]);
  });

  it('writes registers with functions 6 and 16 and a coil with function 5', async () => {
    const c = await connect();
    await c.writeRegisters(3, 40, [0xbeef], 6);
    await c.writeRegisters(3, 50, [1, 2, 0xffff], 16);
    await c.writeCoil(3, 9, true);
    await c.writeCoil(3, 9, false);
    expect(seen.map(({ transactionId: _t, ...r }) => r)).toEqual([
      { unitId: 3, functionCode: 6, address: 40, quantity: 1, values: [0xbeef] },
      { unitId: 3, functionCode: 16, address: 50, quantity: 3, values: [1, 2, 0xffff] },
      { unitId: 3, functionCode: 5, address: 9, quantity: 1, values: [true] },
      { unitId: 3, functionCode: 5, address: 9, quantity: 1, values: [false] },
    ]);
  });

  it.each([
    [1, 'illegal-function'],
    [2, 'illegal-data-address'],
    [3, 'illegal-data-value'],
    [4, 'server-device-failure'],
    [5, 'acknowledge'],
    [6, 'server-device-busy'],
    [8, 'memory-parity-error'],
    [0x0a, 'gateway-path-unavailable'],
    [0x0b, 'gateway-target-failed-to-respond'],
  ])('maps exception %i to kind exception, name %s (1.1b3 §7)', async (code, name) => {
    handler = () => ({ exception: code });
    const c = await connect();
    const e = await failure(c.readRegisters(1, 3, 0, 1));
    expect(e.kind).toBe('exception');
    expect(e.exceptionCode).toBe(code);
    expect(e.exceptionName).toBe(name);
    expect(e.message).toContain(name);
    // an exception is a complete answer: the connection stays usable
    handler = defaultHandler;
    expect(await c.readRegisters(1, 3, 0, 1)).toEqual([1]);
  });

  it('serializes requests: one in flight, answered in call order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    handler = (req) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise((resolve) =>
        setTimeout(() => {
          inFlight--;
          resolve({ registers: [req.address] });
        }, 5),
      );
    };
    const c = await connect();
    const results = await Promise.all([0, 1, 2, 3, 4].map((a) => c.readRegisters(1, 3, a, 1)));
    expect(results).toEqual([[0], [1], [2], [3], [4]]);
    expect(maxInFlight).toBe(1);
  });

  it('a dropped request times out with kind timeout and the next request works', async () => {
    handler = (req) => (req.address === 13 ? { drop: true } : defaultHandler(req));
    const c = await connect();
    const started = Date.now();
    const e = await failure(c.readRegisters(1, 3, 13, 1));
    expect(e.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 500);
    expect(await c.readRegisters(1, 3, 1, 1)).toEqual([11]);
  });

  const frame = (req: ModbusRequest, pdu: number[]): Buffer =>
    buildMbapFrame(req.transactionId!, req.unitId, Buffer.from(pdu));
  it.each([
    // Unframeable bytes: named by the frame watch (modbus-serial alone would wait for them to make a frame).
    ['random garbage', 'bad-response', () => Buffer.from('this is not modbus at all, not even close')],
    [
      'a truncated frame (MBAP promises more bytes)',
      'bad-response',
      (req: ModbusRequest) => frame(req, [3, 4, 0, 1, 0, 2]).subarray(0, 10),
    ],
    [
      'a reply to another transaction',
      'timeout',
      (req: ModbusRequest) =>
        buildMbapFrame(req.transactionId! + 1, req.unitId, Buffer.from([3, 4, 0, 1, 0, 2])),
    ],
    // Framed but wrong: rejected on sight.
    [
      'a frame whose length field is short',
      'bad-response',
      (req: ModbusRequest) => {
        const f = frame(req, [3, 4, 0, 1, 0, 2]);
        f.writeUInt16BE(3, 4);
        return f;
      },
    ],
    ['an empty PDU', 'bad-response', (req: ModbusRequest) => frame(req, [])],
    ['fewer registers than asked', 'bad-response', (req: ModbusRequest) => frame(req, [3, 2, 0, 1])],
    ['the wrong function code', 'bad-response', (req: ModbusRequest) => frame(req, [4, 4, 0, 1, 0, 2])],
  ] as [string, string, (req: ModbusRequest) => Buffer][])(
    '%s fails with %s, and the client recovers',
    async (_name, kind, fault) => {
      let faulty = true;
      handler = (req) => {
        if (!faulty) return defaultHandler(req);
        faulty = false;
        return { raw: fault(req) };
      };
      const c = await connect();
      const e = await failure(c.readRegisters(1, 3, 0, 2));
      expect(e.kind).toBe(kind);
      expect(await c.readRegisters(1, 3, 5, 2)).toEqual([51, 61]);
      expect(await c.readRegisters(1, 3, 6, 1)).toEqual([61]);
    },
  );

  it('garbage is named at once, not after the timeout', async () => {
    handler = () => ({ raw: Buffer.from('\x13\x37garbage on the line\r\n', 'latin1') });
    const c = await connect(2000);
    const started = Date.now();
    const e = await failure(c.readRegisters(1, 3, 0, 2));
    expect(Date.now() - started).toBeLessThan(1000); // long before the 2000 ms timeout
    expect(e.kind).toBe('bad-response');
    expect(e.message).toMatch(
      /unit 1: read 2 register\(s\) of table 3 at 0: garbage frame: bytes 13 37 67 61 72 62 are no Modbus TCP header \(protocol id 26465/,
    );
    handler = defaultHandler;
    expect(await c.readRegisters(1, 3, 5, 1)).toEqual([51]);
  });

  it('a truncated frame is named when the rest does not come', async () => {
    handler = (req) => ({ raw: frame(req, [3, 4, 0, 1, 0, 2]).subarray(0, 10) });
    const e = await failure((await connect()).readRegisters(1, 3, 0, 2));
    expect(e.kind).toBe('bad-response');
    expect(e.message).toMatch(/truncated frame: 10 of the 13 bytes its MBAP header announced, then silence/);
  });

  it('a reply from the wrong unit id is a bad-response', async () => {
    handler = (req) => ({
      raw: buildMbapFrame(req.transactionId!, req.unitId + 1, Buffer.from([3, 2, 0, 1])),
    });
    const c = await connect();
    const e = await failure(c.readRegisters(4, 3, 0, 1));
    expect(e.kind).toBe('bad-response');
    expect(e.message).toMatch(/: reply from unit 5, the request went to unit 4$/);
  });

  it('a write reply echoing another address is a bad-response', async () => {
    handler = (req) => ({
      raw: buildMbapFrame(req.transactionId!, req.unitId, Buffer.from([6, 0, 99, 0, 1])),
    });
    const c = await connect();
    expect((await failure(c.writeRegisters(1, 7, [1], 6))).kind).toBe('bad-response');
  });

  it('refuses to connect to a closed port with kind connection', async () => {
    const tmp = new ModbusTcpServer({ host: '127.0.0.1', port: 0, handler: defaultHandler });
    const { port: closedPort } = await tmp.listen();
    await tmp.close();
    const e = await failure(
      ModbusClient.connectTcp({ host: '127.0.0.1', port: closedPort, timeoutMs: TIMEOUT_MS }),
    );
    expect(e.kind).toBe('connection');
  });

  it('when the server goes away: fails fast with connection, then reconnects once it is back', async () => {
    const own = new ModbusTcpServer({ host: '127.0.0.1', port: 0, handler: () => ({ drop: true }) });
    const { port: p } = await own.listen();
    const c = await connect(2000, p);
    const pending = c.readRegisters(1, 3, 0, 1);
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await own.close();
    expect((await failure(pending)).kind).toBe('connection');
    expect(Date.now() - started).toBeLessThan(1000); // long before the 2000 ms timeout
    expect(c.isOpen).toBe(false);
    expect((await failure(c.readRegisters(1, 3, 0, 1))).kind).toBe('connection');

    const back = new ModbusTcpServer({ host: '127.0.0.1', port: p, handler: defaultHandler });
    await back.listen();
    try {
      expect(await c.readRegisters(1, 3, 2, 1)).toEqual([21]);
      expect(c.isOpen).toBe(true);
    } finally {
      await c.close();
      await back.close();
    }
  });

  it('close() fails queued requests with connection and later calls fail fast', async () => {
    let arrived!: () => void;
    const atServer = new Promise<void>((r) => (arrived = r));
    handler = () => {
      arrived();
      return new Promise((r) => setTimeout(() => r({ registers: [1] }), 50));
    };
    const c = await connect();
    const first = c.readRegisters(1, 3, 0, 1);
    const second = c.readRegisters(1, 3, 0, 1);
    await atServer; // else the request could reach the server only after this test, under the next one's handler
    await c.close();
    expect(c.isOpen).toBe(false);
    expect((await failure(first)).kind).toBe('connection');
    expect((await failure(second)).kind).toBe('connection');
    expect((await failure(c.readRegisters(1, 3, 0, 1))).kind).toBe('connection');
  });

  it('reports reads to a callback when asked to (the driver’s path), errors included', async () => {
    handler = (req) => (req.address === 13 ? { exception: 2 } : defaultHandler(req));
    const c = await connect();
    const read = (unit: number, table: 1 | 2 | 3 | 4, address: number, count: number) =>
      new Promise<[boolean, unknown]>((resolve) => {
        const done = (ok: boolean, value: unknown): void => resolve([ok, value]);
        if (table === 3 || table === 4) c.readRegistersThen(unit, table, address, count, {}, done);
        else c.readBitsThen(unit, table, address, count, {}, done);
      });
    expect(await read(1, 3, 100, 2)).toEqual([true, [1001, 1011]]);
    expect(await read(1, 1, 0, 3)).toEqual([true, [false, true, false]]);
    const [ok, e] = await read(1, 3, 13, 1);
    expect(ok).toBe(false);
    expect(e).toMatchObject({ kind: 'exception', exceptionName: 'illegal-data-address' });
    const [ok2, bad] = await read(300, 4, 0, 1);
    expect([ok2, bad]).toEqual([false, new RangeError('unit id 300 is not 0..255')]);
    expect(seen.map((r) => r.address)).toEqual([100, 0]); // 13 was answered with the exception; 300 never sent
  });

  it('rejects arguments outside the protocol before sending anything', async () => {
    const c = await connect();
    await expect(c.readRegisters(1, 3, 0, 126)).rejects.toThrow(RangeError);
    await expect(c.readBits(1, 1, 65535, 2)).rejects.toThrow(/runs past 65535/);
    await expect(c.writeRegisters(1, 0, [1, 2], 6)).rejects.toThrow(/exactly one/);
    await expect(c.writeRegisters(1, 0, [70000], 16)).rejects.toThrow(/70000/);
    await expect(c.readRegisters(256, 3, 0, 1)).rejects.toThrow(/unit id 256/);
    expect(seen).toEqual([]);
  });
});
