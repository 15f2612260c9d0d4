/**
 * The cloud stops while a controller holds a connection open (a long-poll or
 * a request still arriving): without GracefulHttpShutdown, close() waits for
 * that connection and the process never exits.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterAll, describe, expect, it } from '@jest/globals';
import { startTestCloud } from '../test-support/cloud-fixture.js';
import type { TestCloud } from '../test-support/cloud-fixture.js';
import { SHUTDOWN_GRACE_MS } from './graceful-shutdown.js';

describe('cloud shutdown', () => {
  let t: TestCloud | undefined;
  afterAll(async () => {
    await t?.db.drop();
  });

  it('closes within the grace period while a connection is busy', async () => {
    t = await startTestCloud();
    const { port } = new URL(t.cloud.url);
    const socket: Socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // A request whose headers never finish: the connection is busy, never idle.
    socket.write('GET /api/v1/sync/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const closedByServer = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const started = Date.now();
    await t.cloud.close();
    await closedByServer;
    const took = Date.now() - started;
    expect(took).toBeLessThan(SHUTDOWN_GRACE_MS + 3000);
  });
});
