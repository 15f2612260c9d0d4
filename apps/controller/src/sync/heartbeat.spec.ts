/**
 * The heartbeat and link driver 'cloud' together: signed pings when idle (none
 * while other exchanges succeed, one at a time), every outcome into the real
 * LinkMonitor, so a dead cloud reads AUTONOMOUS 4 s after the last success and
 * a living one CONNECTED again; shutdown aborts what is in flight without
 * blaming the link.
 */
import { describe, expect, it } from '@jest/globals';
import { LinkMonitor } from '#libs/link';
import type { LinkOutcome } from '#libs/link';
import { FakeTime } from '../commands/fake-time.js';
import { CloudLinkDriver } from '../link/cloud-link-driver.js';
import { Heartbeat, PING_PATH } from './heartbeat.js';
import { answer, BASE, client, ScriptedCloud } from './sync-test-support.js';

function harness() {
  const time = new FakeTime(Date.UTC(2026, 5, 1, 8, 0, 0));
  const cloud = new ScriptedCloud(time);
  const driver = new CloudLinkDriver();
  const monitor = new LinkMonitor(time, { autonomousAfterMs: 4000 });
  monitor.follow(driver.outcomes$);
  const outcomes: LinkOutcome[] = [];
  const ref: { heartbeat?: Heartbeat } = {};
  // The client's outcomes go to the heartbeat and the driver, as SyncService routes them.
  const record = (o: LinkOutcome): void => {
    if (o.kind === 'success') ref.heartbeat?.noteSuccess();
    driver.record(o);
  };
  const sink = { push: (o: LinkOutcome) => (outcomes.push(o), record(o)) } as unknown as LinkOutcome[];
  const heartbeat = (ref.heartbeat = new Heartbeat(client(cloud, time, sink), time, time, 500, 1500));
  return { time, cloud, monitor, heartbeat, driver, outcomes, record };
}

describe('Heartbeat with link driver cloud', () => {
  it('pings when idle, becomes CONNECTED, and reads AUTONOMOUS 4 s after the cloud stops answering', async () => {
    const h = harness();
    h.heartbeat.start();
    await h.time.advance(2600);
    expect(h.monitor.state).toBe('CONNECTED');
    expect(h.cloud.requests.every((r) => r.req.method === 'GET' && r.req.url === `${BASE}${PING_PATH}`)).toBe(
      true,
    );
    expect(h.cloud.requests.length).toBeGreaterThanOrEqual(5);
    const transitions: { to: string; at: number }[] = [];
    h.monitor.transitions$.subscribe((t) => transitions.push(t));
    h.cloud.onRequest = () => 'refused';
    await h.time.advance(5000);
    const lastSuccess = h.monitor.status().lastSuccessAt!;
    expect(transitions.map((t) => [t.to, t.at - lastSuccess])).toEqual([
      ['DEGRADED', expect.any(Number)],
      ['AUTONOMOUS', 4000],
    ]);
    expect(transitions[0].at - lastSuccess).toBeLessThanOrEqual(500);
    expect(h.driver.recorded.failure).toBeGreaterThan(0);
    h.cloud.onRequest = undefined;
    await h.time.advance(3000);
    expect(h.monitor.state).toBe('CONNECTED');
    h.heartbeat.stop();
    h.monitor.close();
  });

  it('sends no ping while other exchanges succeed', async () => {
    const h = harness();
    h.heartbeat.noteSuccess();
    await h.heartbeat.beat();
    expect(h.cloud.requests).toHaveLength(0);
    await h.time.advance(500);
    await h.heartbeat.beat();
    expect(h.cloud.requests).toHaveLength(1);
    h.monitor.close();
  });

  it('keeps one ping in flight at a time and records a timeout as such', async () => {
    const h = harness();
    let release: (() => void) | undefined;
    const slow = {
      exchange: () =>
        new Promise<never>((_, reject) => {
          release = () => {
            h.record({ kind: 'timeout' });
            reject(new Error('timeout'));
          };
        }),
    };
    const hb = new Heartbeat(slow, h.time, h.time, 500, 1500);
    const first = hb.beat();
    await hb.beat();
    await hb.beat();
    expect(release).toBeDefined();
    release!();
    await first;
    expect(h.driver.recorded).toEqual({ success: 0, failure: 0, timeout: 1 });
    h.monitor.close();
  });

  it('closing the client aborts the exchange in flight and records nothing against the link', async () => {
    const h = harness();
    const outcomes: LinkOutcome[] = [];
    const hanging = {
      request: (req: { signal?: AbortSignal }) =>
        new Promise<never>((_, reject) =>
          req.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
    };
    const c = client(Object.assign(h.cloud, { request: hanging.request }), h.time, outcomes);
    const pending = c.exchange('GET', '/api/v1/sync/desired?after=0&waitSeconds=25', { timeoutMs: 35_000 });
    c.close();
    await expect(pending).rejects.toThrow('aborted');
    expect(outcomes).toEqual([]);
    await expect(c.exchange('GET', PING_PATH, { timeoutMs: 1000 })).rejects.toThrow(/closing/);
    expect(answer(204, undefined).status).toBe(204);
    h.monitor.close();
  });
});
