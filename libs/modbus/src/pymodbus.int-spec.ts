/**
 * Interoperability against an independent peer: pymodbus 3.0 (Debian's
 * python3-pymodbus) serves values it encoded with its own BinaryPayloadBuilder;
 * our client reads them and our codec must decode exactly what pymodbus put
 * there, and encode to exactly pymodbus' registers. Over TCP, and over RTU
 * through a socat pty pair.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ByteOrder, ModbusDataType } from '#libs/profiles';
import { Children, PYMODBUS_SERVER, PYTHON, waitForPaths } from '../test-support/processes.js';
import { ModbusClient } from './client.js';
import { decodeBit, decodeRegisters, encodeRegisters, registerCount } from './codec.js';

interface Entry {
  address: number;
  type: Exclude<ModbusDataType, 'bool'>;
  value: number;
  byteorder: ByteOrder;
  wordorder: ByteOrder;
}
interface Ready {
  port: number | null;
  holding: Record<string, number[]>;
  input: Record<string, number[]>;
  values: Record<string, number>;
}

const e = (
  address: number,
  type: Entry['type'],
  value: number,
  wordorder: ByteOrder = 'big',
  byteorder: ByteOrder = 'big',
) => ({
  address,
  type,
  value,
  byteorder,
  wordorder,
});
const MAP = {
  holding: [
    e(0, 'float32', 123.456),
    e(2, 'float32', 123.456, 'little'),
    e(4, 'int32', -2),
    e(6, 'int32', -123456789, 'little'),
    e(8, 'uint16', 54321),
    e(9, 'int16', -1234),
    e(10, 'uint32', 4000000000),
    e(12, 'float32', -9876.5, 'little', 'little'),
    e(14, 'float64', -2.5e-7),
    e(18, 'int64', -1234567890123),
    e(22, 'uint64', 9007199254740991, 'little'),
  ] satisfies Entry[],
  input: [
    e(0, 'float32', 21.5),
    e(2, 'float32', -40.25, 'little'),
    e(4, 'uint16', 65535),
    e(5, 'int32', 2147483647, 'little'),
    e(7, 'float32', 0.1, 'little'),
  ] satisfies Entry[],
  coils: [{ address: 0, values: [true, false, true, true, false, false, false, true, true] }],
  discrete: [{ address: 3, values: [false, true, true] }],
};

const children = new Children();
const links = ((base: string) => ({ a: `${base}-A`, b: `${base}-B` }))(
  `/tmp/bulwark-mb-${process.pid}-${Date.now().toString(36)}`,
);
let tcp: { ready: Ready; client: ModbusClient };
let rtu: { ready: Ready; client: ModbusClient };

function parseReady(line: string): Ready {
  return JSON.parse(line.slice(line.indexOf('{'))) as Ready;
}

async function startTcp(): Promise<typeof tcp> {
  const { line } = await children.start(
    PYTHON,
    [PYMODBUS_SERVER, 'tcp', '0', JSON.stringify(MAP)],
    /^READY /,
  );
  const ready = parseReady(line);
  const client = await ModbusClient.connectTcp({ host: '127.0.0.1', port: ready.port!, timeoutMs: 1000 });
  return { ready, client };
}

async function startRtu(): Promise<typeof rtu> {
  await children.start(
    'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${links.a}`, `pty,raw,echo=0,link=${links.b}`],
    /starting data transfer loop/,
  );
  await waitForPaths([links.a, links.b]);
  const { line } = await children.start(
    PYTHON,
    [PYMODBUS_SERVER, 'rtu', links.b, JSON.stringify(MAP), '--baud', '9600'],
    /^READY /,
  );
  const client = await ModbusClient.connectRtu({
    path: links.a,
    baudRate: 9600,
    parity: 'none',
    timeoutMs: 1000,
  });
  return { ready: parseReady(line), client };
}

beforeAll(async () => {
  [tcp, rtu] = await Promise.all([startTcp(), startRtu()]);
}, 15000);

afterAll(async () => {
  await Promise.all([tcp?.client.close(), rtu?.client.close()]);
  await children.killAll();
});

const encodingOf = (x: Entry) => ({
  dataType: x.type,
  byteOrder: x.byteorder,
  wordOrder: x.wordorder,
  scale: 1,
  offset: 0,
});

describe.each([
  ['TCP', () => tcp],
  ['RTU', () => rtu],
])('pymodbus 3.0 over %s', (_transport, peer) => {
  it.each([
    ['holding', 3],
    ['input', 4],
  ] as const)('decodes every %s value exactly as pymodbus encoded it', async (table, fn) => {
    const { ready, client } = peer();
    const entries: Entry[] = MAP[table];
    const span = Math.max(...entries.map((x) => x.address + registerCount(x.type)));
    const registers = await client.readRegisters(1, fn, 0, span);
    for (const x of entries) {
      const regs = registers.slice(x.address, x.address + registerCount(x.type));
      expect({ at: x.address, regs }).toEqual({ at: x.address, regs: ready[table][String(x.address)] });
      const expected = ready.values[`${table}:${x.address}`];
      expect({ at: x.address, value: decodeRegisters(regs, encodingOf(x)) }).toEqual({
        at: x.address,
        value: expected,
      });
      // and our encoder produces pymodbus' bytes for the same value
      expect(encodeRegisters(expected, encodingOf(x))).toEqual(regs);
    }
  });

  it('pins the layout pymodbus uses: float32 123.456 big/big and little-word', () => {
    const { ready } = peer();
    expect(ready.holding['0']).toEqual([0x42f6, 0xe979]);
    expect(ready.holding['2']).toEqual([0xe979, 0x42f6]);
    expect(ready.values['holding:0']).toBe(Math.fround(123.456));
  });

  it('reads a single uint16 and int32 on their own', async () => {
    const { client } = peer();
    expect(decodeRegisters(await client.readRegisters(1, 3, 8, 1), encodingOf(MAP.holding[4]))).toBe(54321);
    expect(decodeRegisters(await client.readRegisters(1, 3, 4, 2), encodingOf(MAP.holding[2]))).toBe(-2);
  });

  it('reads coils and discrete inputs', async () => {
    const { client } = peer();
    expect(await client.readBits(1, 1, 0, 9)).toEqual(MAP.coils[0].values);
    const inputs = await client.readBits(1, 2, 2, 5);
    expect(inputs.map((b) => decodeBit(b))).toEqual([0, 0, 1, 1, 0]);
  });

  it('writes registers (6, 16) and a coil (5) that pymodbus stores and returns', async () => {
    const { client } = peer();
    const f32 = { dataType: 'float32', byteOrder: 'big', wordOrder: 'little', scale: 1, offset: 0 } as const;
    await client.writeRegisters(1, 100, encodeRegisters(-17.25, f32), 16);
    await client.writeRegisters(1, 102, [0xabcd], 6);
    await client.writeCoil(1, 20, true);
    const back = await client.readRegisters(1, 3, 100, 3);
    expect(decodeRegisters(back, f32)).toBe(-17.25);
    expect(back[2]).toBe(0xabcd);
    expect(await client.readBits(1, 1, 19, 3)).toEqual([false, true, false]);
  });

  it('reports pymodbus exceptions by name (reading past its 1000-register table)', async () => {
    const { client } = peer();
    await expect(client.readRegisters(1, 3, 999, 2)).rejects.toMatchObject({
      kind: 'exception',
      exceptionCode: 2,
      exceptionName: 'illegal-data-address',
    });
    expect(await client.readRegisters(1, 3, 8, 1)).toEqual([54321]); // still usable afterwards
  });
});
