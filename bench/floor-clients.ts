/**
 * The bare vendor clients that set the floor in `bench:scan`: modbus-serial and
 * @bacnet-js/client used directly, without Bulwark's planning, scheduling or
 * decoding. They issue exactly the request set they are given, so their scan
 * time is what the wire and the library cost. Only benchmarks import vendor
 * clients outside libs/modbus and libs/bacnet (eslint.config.js says so).
 */
import { createSocket } from 'node:dgram';
import ModbusRTUModule from 'modbus-serial';
import BacnetModule, { ObjectType, PropertyIdentifier } from '@bacnet-js/client';

interface BareModbus {
  connectTCP(ip: string, opts: { port: number }): Promise<void>;
  setID(id: number): void;
  setTimeout(ms: number): void;
  readHoldingRegisters(addr: number, len: number): Promise<{ data: number[] }>;
  readInputRegisters(addr: number, len: number): Promise<{ data: number[] }>;
  close(cb: () => void): void;
}

const ModbusRTU =
  (ModbusRTUModule as unknown as { default?: new () => BareModbus }).default ??
  (ModbusRTUModule as unknown as new () => BareModbus);

export async function bareModbus(port: number): Promise<{
  read(table: 3 | 4, address: number, count: number): Promise<number[]>;
  close(): Promise<void>;
}> {
  const c = new ModbusRTU();
  await c.connectTCP('127.0.0.1', { port });
  c.setID(1);
  c.setTimeout(2000);
  return {
    read: async (table, address, count) =>
      (table === 3
        ? await c.readHoldingRegisters(address, count)
        : await c.readInputRegisters(address, count)
      ).data,
    close: () => new Promise((resolve) => c.close(() => resolve())),
  };
}

const OBJECT_TYPES: Record<string, number> = {
  'analog-input': ObjectType.ANALOG_INPUT,
  'analog-value': ObjectType.ANALOG_VALUE,
  'binary-value': ObjectType.BINARY_VALUE,
  'multi-state-value': ObjectType.MULTI_STATE_VALUE,
};

interface LibClient {
  readProperty(r: { address: string }, o: { type: number; instance: number }, p: number): Promise<unknown>;
  readPropertyMultiple(
    r: { address: string },
    specs: Array<{
      objectId: { type: number; instance: number };
      properties: Array<{ id: number; index: number }>;
    }>,
  ): Promise<{ values: unknown[] }>;
  close(): void;
  /** Private in the typings, a plain field at run time (3.3.2); clear() without force sweeps only expired requests. */
  _requestManager?: { clear?: (force?: boolean) => void };
}
type LibClientCtor = new (o: {
  port: number;
  interface: string;
  broadcastAddress: string;
  apduTimeout: number;
}) => LibClient;
const Bacnet =
  (BacnetModule as unknown as { default?: LibClientCtor }).default ??
  (BacnetModule as unknown as LibClientCtor);

/** STACK.md trap 1: a library promise can stay unsettled after an invoke-id wrap, so every call races a timer. */
function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A UDP port free on 127.0.0.1 just now: the library's own transport turns port 0 into 47808 (STACK.md trap 4). */
export function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

export interface BareObject {
  type: string;
  instance: number;
}

export function bareBacnet(port: number): {
  rpm(address: string, objects: BareObject[]): Promise<number>;
  rp(address: string, object: BareObject): Promise<void>;
  close(): void;
} {
  const c = new Bacnet({
    port,
    interface: '127.0.0.1',
    broadcastAddress: '127.255.255.255',
    // STACK.md trap 1: the library's request table, on its first expiry sweep (apduTimeout after the first
    // request), deletes by invoke id and so orphans whichever newer request reuses an answered one's id; that
    // request then hangs until `bounded` fails the run. A sweep that never comes within a run keeps the library's
    // own (cheap) path and removes the hang; `bounded` still bounds every call.
    apduTimeout: 3_600_000,
  });
  // Without expiry sweeps its time-ordered list would keep every answered request (and its answer) for the whole
  // run, a growing heap that slows the bare client scan after scan: a sweep once per invoke-id cycle drops them
  // (nothing has expired, so the sweep fails nothing).
  let calls = 0;
  const sweep = (): void => {
    if (++calls % 256 === 0) c._requestManager?.clear?.();
  };
  const id = (o: BareObject) => ({ type: OBJECT_TYPES[o.type], instance: o.instance });
  return {
    rpm: async (address, objects) => {
      sweep();
      const r = await bounded(
        c.readPropertyMultiple(
          { address },
          objects.map((o) => ({
            objectId: id(o),
            properties: [{ id: PropertyIdentifier.PRESENT_VALUE, index: 0xffffffff }],
          })),
        ),
        3000,
      );
      return r.values.length;
    },
    rp: async (address, object) => {
      sweep();
      await bounded(c.readProperty({ address }, id(object), PropertyIdentifier.PRESENT_VALUE), 3000);
    },
    close: () => c.close(),
  };
}
