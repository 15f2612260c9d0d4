/**
 * Modbus TCP through the driver against real sockets: verified writes against
 * pymodbus (an independent peer), every named fault from our own server (whose
 * handler can answer anything, byte for byte), and a write racing a heavy scan.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BusRegistry } from '#libs/fieldbus';
import type { FieldbusErrorInfo } from '#libs/fieldbus';
import { buildMbapFrame, ModbusTcpServer } from '#libs/modbus';
import type { ModbusReply, ModbusRequest } from '#libs/modbus';
import { findRepoRoot, loadProfile } from '#libs/profiles';
import type { PointDef, Profile, SiteDevice } from '#libs/profiles';
import { Children } from '../../../../libs/modbus/test-support/processes.js';
import { ModbusDriver } from './modbus-driver.js';
import { ScanEngine } from './scan-engine.js';
import { servePymodbus } from './test-support/pymodbus-peer.js';
import { loadedSite, writeService } from './test-support/write-harness.js';

const root = findRepoRoot();
const children = new Children();
afterAll(() => children.killAll());

const tcp = (
  id: string,
  port: number,
  unitId = 1,
  pollIntervalMs = 1000,
  profile = `test/${id}.yaml`,
): SiteDevice => ({
  id,
  name: id,
  profile,
  pollIntervalMs,
  modbus: { transport: 'tcp', host: '127.0.0.1', port, unitId },
});

async function until<T>(probe: () => T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Modbus TCP through the driver against pymodbus', () => {
  it.each([
    ['modbus/lochinvar/ftxl.yaml', 'supply-temp-sp', 60, 'enable-cmd'],
    ['modbus/produal/hls34.yaml', 'setpoint', 21.5, 'night-mode'],
  ])(
    '%s: reads every point, then writes %s and a coil, verified by reading back',
    async (file, sp, value, coil) => {
      const profile = loadProfile(resolve(root, 'hardware-profiles', file));
      const peer = await servePymodbus(children, profile, { tcp: true });
      const driver = new ModbusDriver();
      const device = tcp('peer', peer.port!, 1, 1000, file);
      const { writes, live } = writeService(loadedSite([device], { [file]: profile }), driver);
      try {
        const out = await driver.readMany({ site: device, profile }, profile.points);
        expect(Object.fromEntries(out.map((o) => [o.pointId, o.value ?? o.error]))).toEqual(
          Object.fromEntries(peer.expected),
        );
        const seen: string[] = [];
        const done = await writes.write({
          deviceId: 'peer',
          pointId: sp,
          value,
          onAttempt: (a) => seen.push(String(a.ok)),
        });
        expect(done.readBack).toBeCloseTo(value, 0);
        expect(seen).toEqual(['true']);
        expect(live.get(`peer.${sp}`)!.value).toBe(done.readBack);
        const before = peer.expected.get(coil)!;
        expect((await writes.write({ deviceId: 'peer', pointId: coil, value: 1 - before })).readBack).toBe(
          1 - before,
        );
        // Refused before the wire, by name.
        await expect(writes.write({ deviceId: 'peer', pointId: sp, value: 1000 })).rejects.toMatchObject({
          code: 'out-of-range',
        });
        const readOnly = profile.points.find((p) => p.access === 'read')!.id;
        await expect(writes.write({ deviceId: 'peer', pointId: readOnly, value: 1 })).rejects.toMatchObject({
          code: 'not-writable',
        });
      } finally {
        await driver.close();
      }
    },
    15000,
  );
});

/** A faulty device and a healthy neighbour behind one TCP gateway (our server: it can answer anything). */
describe('named faults: each a named error and a quality flag on its points, never a crash or a hung bus', () => {
  type Fault =
    'none' | 'timeout' | 'exception' | 'garbage' | 'truncated frame' | 'truncated reply' | 'wrong unit id';
  let fault: Fault = 'none';
  const pdu = (req: ModbusRequest): Buffer => {
    const out = Buffer.alloc(2 + req.quantity * 2);
    out[0] = req.functionCode;
    out[1] = req.quantity * 2;
    for (let i = 0; i < req.quantity; i++) out.writeUInt16BE(req.address + i, 2 + 2 * i);
    return out;
  };
  const server = new ModbusTcpServer({
    host: '127.0.0.1',
    port: 0,
    handler: (req): ModbusReply => {
      const normal = { registers: Array.from({ length: req.quantity }, (_, i) => req.address + i) };
      if (req.unitId !== 1 || fault === 'none') return normal;
      const tid = req.transactionId ?? 0;
      switch (fault) {
        case 'timeout':
          return { drop: true };
        case 'exception':
          return req.address >= 20 ? { exception: 6 } : normal; // only the block of point c: server device busy
        case 'garbage':
          return { raw: Buffer.from('\x13\x37garbage on the line\r\n', 'latin1') };
        case 'truncated frame': {
          const frame = buildMbapFrame(tid, req.unitId, pdu(req)); // the header promises bytes that never come
          return { raw: frame.subarray(0, frame.length - 2) };
        }
        case 'truncated reply': {
          const short = pdu(req).subarray(0, 2 + req.quantity * 2 - 1); // the byte count says more than follows
          return { raw: buildMbapFrame(tid, req.unitId, short) };
        }
        case 'wrong unit id':
          return { raw: buildMbapFrame(tid, req.unitId + 1, pdu(req)) };
      }
    },
  });
  const points: PointDef[] = ['a', 'b', 'c'].map((id, i) => ({
    id,
    name: id,
    description: '',
    kind: 'analog',
    access: 'read',
    dataType: 'uint16',
    modbus: { function: 3, address: [0, 1, 20][i] },
    unit: '',
    tags: [],
  }));
  const profile: Profile = {
    schemaVersion: 1,
    vendor: 'Test',
    model: 'faulty',
    protocol: 'modbus',
    description: '',
    source: 'test',
    modbus: { addressing: 'zero-based', timeoutMs: 80, maxGap: 8 },
    points,
  };
  let port = 0;
  beforeAll(async () => {
    port = (await server.listen()).port;
  });
  afterAll(() => server.close());

  /**
   * Scans the faulty device and its neighbour every 100 ms, turns the fault on until `flagged` carry `code`,
   * checks the neighbour stayed good, turns it off until the device is good again; returns the faulty device's log lines.
   */
  async function scanThrough(f: Fault, code: string, flagged: string[]): Promise<string[]> {
    fault = 'none';
    const driver = new ModbusDriver({ buses: new BusRegistry() });
    const devices = [
      tcp('faulty', port, 1, 100, 'test/faulty.yaml'),
      tcp('neighbour', port, 2, 100, 'test/faulty.yaml'),
    ];
    const live = new Map<string, { value?: number; error?: FieldbusErrorInfo }>();
    const lines: string[] = [];
    const log = {
      info: (_: object, m: string) => lines.push(m),
      warn: (_: object, m: string) => lines.push(m),
      error: (_: object, m: string) => lines.push(m),
    };
    const engine = new ScanEngine({
      site: loadedSite(devices, { 'test/faulty.yaml': profile }),
      drivers: new Map([['modbus', driver]]),
      log,
      sink: {
        value: (d, p, value) => live.set(`${d}.${p}`, { value }),
        fail: (d, p, error) => live.set(`${d}.${p}`, { ...live.get(`${d}.${p}`), error }),
        pushed: () => undefined,
        record: () => Promise.resolve(),
      },
    });
    const good = (d: string) =>
      ['a', 'b', 'c'].every((p) => live.get(`${d}.${p}`)?.error === undefined && live.has(`${d}.${p}`));
    try {
      engine.start();
      await until(() => (good('faulty') && good('neighbour') ? true : undefined), 2000, 'both devices good');
      fault = f;
      await until(
        () => (flagged.every((p) => live.get(`faulty.${p}`)?.error?.code === code) ? true : undefined),
        3000,
        `${code} on ${flagged.join()}`,
      );
      const spared = points.map((p) => p.id).filter((p) => !flagged.includes(p));
      expect(spared.map((p) => live.get(`faulty.${p}`)!.error)).toEqual(spared.map(() => undefined));
      await new Promise((r) => setTimeout(r, 300)); // several more polls
      expect(good('neighbour')).toBe(true);
      fault = 'none';
      await until(() => (good('faulty') ? true : undefined), 3000, 'faulty device good again');
      expect(lines.filter((l) => l.includes('neighbour'))).toEqual(['device neighbour ok']);
      return lines.filter((l) => l.includes('faulty'));
    } finally {
      await engine.stop();
      await driver.close();
      fault = 'none';
    }
  }

  it.each<[Fault, string, RegExp]>([
    ['timeout', 'timeout', /no response \(timed out\)$/],
    ['garbage', 'bad-response', /: garbage frame: bytes 13 37 67 61 72 62 are no Modbus TCP header/],
    [
      'truncated frame',
      'bad-response',
      /: truncated frame: 11 of the 13 bytes its MBAP header announced, then silence$/,
    ],
    ['truncated reply', 'bad-response', /: reply byte count 4 with 3 data byte\(s\); the request needs 4$/],
    ['wrong unit id', 'bad-response', /: reply from unit 2, the request went to unit 1$/],
  ])(
    '%s: %s on every point of the device, the neighbour unaffected, one log line each way',
    async (f, code, named) => {
      const lines = await scanThrough(f, code, ['a', 'b', 'c']);
      expect(lines).toEqual([
        'device faulty ok',
        expect.stringMatching(new RegExp(`^device faulty comm-fail: ${code}: `)),
        'device faulty back to ok',
      ]);
      expect(lines[1]).toMatch(named);
    },
    15000,
  );

  it('exception (server device busy) on one block: modbus-exception:server-device-busy on its point only, one log line each way', async () => {
    expect(await scanThrough('exception', 'modbus-exception:server-device-busy', ['c'])).toEqual([
      'device faulty ok',
      'device faulty: point(s) c refused: modbus-exception:server-device-busy: modbus tcp 127.0.0.1:' +
        `${port} unit 1: read 1 register(s) of table 3 at 20: Modbus exception 6 (server-device-busy)`,
      'device faulty: point(s) c readable again',
    ]);
  }, 15000);
});

describe('a write during a heavy scan', () => {
  interface Arrival {
    unit: number;
    fc: number;
    address: number;
  }
  const arrivals: Arrival[] = [];
  const held = new Map<string, number>();
  const server = new ModbusTcpServer({
    host: '127.0.0.1',
    port: 0,
    // Each request takes the device a couple of milliseconds, as a real one would.
    handler: async (req): Promise<ModbusReply> => {
      arrivals.push({ unit: req.unitId, fc: req.functionCode, address: req.address });
      await new Promise((r) => setTimeout(r, 2));
      if (req.functionCode === 6) {
        held.set(`${req.unitId}:${req.address}`, Number(req.values![0]));
        return { ok: true };
      }
      return {
        registers: Array.from(
          { length: req.quantity },
          (_, i) => held.get(`${req.unitId}:${req.address + i}`) ?? 7,
        ),
      };
    },
  });
  // 20 points, each beyond the gap worth reading through: 20 requests per device per scan.
  const profile: Profile = {
    schemaVersion: 1,
    vendor: 'Test',
    model: 'wide',
    protocol: 'modbus',
    description: '',
    source: 'test',
    modbus: { addressing: 'zero-based', maxGap: 8, timeoutMs: 1000 },
    points: Array.from({ length: 20 }, (_, i) => ({
      id: `p${i}`,
      name: `p${i}`,
      description: '',
      kind: 'analog' as const,
      access: i === 0 ? ('write' as const) : ('read' as const),
      dataType: 'int16' as const,
      modbus: { function: 3 as const, address: i * 20, ...(i === 0 ? { writeFunction: 6 as const } : {}) },
      unit: '',
      tags: [],
      ...(i === 0 ? { safeRange: { min: 0, max: 100 }, failSafe: 0 } : {}),
    })),
  };
  afterAll(() => server.close());

  it('reaches the device within the time of one in-flight request, and so does its read-back', async () => {
    const { port } = await server.listen();
    const devices = Array.from({ length: 8 }, (_, i) =>
      tcp(`d${i + 1}`, port, i + 1, 1000, 'test/wide.yaml'),
    );
    const driver = new ModbusDriver();
    const { writes } = writeService(loadedSite(devices, { 'test/wide.yaml': profile }), driver);
    try {
      // All eight devices scanned at once: one request in flight, up to seven polls queued behind it, for ~160 requests.
      const scans = devices.map((site) => driver.readMany({ site, profile }, profile.points));
      await until(() => (arrivals.length >= 40 ? true : undefined), 5000, 'the scan under way');
      const issuedAt = arrivals.length;
      const outcome = await writes.write({ deviceId: 'd5', pointId: 'p0', value: 42 });
      const results = await Promise.all(scans);
      expect(outcome.readBack).toBe(42);
      const write = arrivals.findIndex((a) => a.fc === 6);
      const readBack = arrivals.findIndex(
        (a, i) => i > write && a.unit === 5 && a.fc === 3 && a.address === 0,
      );
      const polls = (from: number, to: number) => arrivals.slice(from, to).filter((a) => a.fc === 3).length;
      // At most the one request that was already on its way when the write was issued...
      expect(polls(issuedAt, write)).toBeLessThanOrEqual(1);
      // ...and the read-back that verifies it waits for at most the one request in flight when the write finished.
      expect(polls(write + 1, readBack)).toBeLessThanOrEqual(1);
      expect(results.flat().every((o) => o.value !== undefined)).toBe(true);
      expect(arrivals.filter((a) => a.fc === 3).length).toBeGreaterThanOrEqual(160);
    } finally {
      await driver.close();
    }
  }, 15000);
});
