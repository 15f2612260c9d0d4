/**
 * RTU failure modes that need no peer: a serial line nobody answers on (a socat
 * pty pair with nothing on the far end) and a serial device that does not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Children, waitForPaths } from '../test-support/processes.js';
import { ModbusClient } from './client.js';
import { ModbusError } from './errors.js';

const children = new Children();
const base = `/tmp/bulwark-mb-silent-${process.pid}-${Date.now().toString(36)}`;
const links = { a: `${base}-A`, b: `${base}-B` };
let client: ModbusClient;

beforeAll(async () => {
  await children.start(
    'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${links.a}`, `pty,raw,echo=0,link=${links.b}`],
    /starting data transfer loop/,
  );
  await waitForPaths([links.a, links.b]);
  client = await ModbusClient.connectRtu({ path: links.a, baudRate: 19200, parity: 'even', timeoutMs: 100 });
}, 10000);

afterAll(async () => {
  await client?.close();
  await children.killAll();
});

describe('ModbusClient over RTU without a peer', () => {
  it('times out with kind timeout, again and again, without wedging or closing the port', async () => {
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      await expect(client.readRegisters(1, 3, 0, 1)).rejects.toMatchObject({ kind: 'timeout' });
      expect(Date.now() - started).toBeLessThan(600);
    }
    expect(client.isOpen).toBe(true);
  });

  it('refuses a serial device that does not exist with kind connection', async () => {
    const err = await ModbusClient.connectRtu({
      path: `${base}-missing`,
      baudRate: 9600,
      timeoutMs: 100,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ModbusError);
    expect((err as ModbusError).kind).toBe('connection');
  });
});
