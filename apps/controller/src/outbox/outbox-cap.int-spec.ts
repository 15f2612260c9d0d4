/**
 * The outbox cap test (issue 5, "Outbox cap test"): a small cap filled during
 * a simulated cloud outage on a real SQLite file. Thinning keeps one sample
 * per point per minute, then per 15 minutes, oldest windows first; events and
 * alarms stay whole; every ledger entry's counts before and after are exact
 * per point and interval; the alarm is raised at 80% of the cap and cleared
 * once the cloud has taken the backlog; a batch in flight is never rewritten;
 * when even thinning leaves no room telemetry is refused (counted, ledgered)
 * while events are still appended; and no scan tick is ever failed or held.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { AlarmService } from '../alarms/alarm.service.js';
import { OutboxCapAlarms } from '../alarms/outbox-cap-alarms.js';
import { SqliteEventStore } from '../events/event-store.js';
import type { OutboxRecord } from '#libs/sync';
import { REFUSED_REASON } from './outbox.service.js';
import type { OutboxSample } from './outbox.service.js';
import { THIN_LEVELS } from './outbox-thinning.js';
import { drain, drainJson, endOf, gaps, openOutbox } from './test-support.js';
import type { Opened } from './test-support.js';

const T0 = Date.parse('2025-06-02T00:00:00Z');
const POINTS = ['ahu.sat', 'ahu.rat', 'vav-1.temp', 'vav-2.temp'];
const POLL_MS = 5000;
const CAP = 120_000;
const MIN = 60_000;

describe('outbox cap during an outage', () => {
  let dir: string;
  let o: Opened;
  let now = T0;
  const clock = { now: () => now };
  const log = pino({ level: 'silent' });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-outbox-cap-'));
    now = T0;
    o = await openOutbox(join(dir, 'c.sqlite'), clock, { capBytes: CAP });
  });
  afterEach(async () => {
    await o.db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('thins 1/min then 1/15 min, keeps events whole, ledgers exactly, alarms at 80% and never holds the scan', async () => {
    const alarms = new AlarmService(o.journal, clock, log);
    const detector = new OutboxCapAlarms(o.outbox, alarms, log);
    detector.onApplicationBootstrap();
    const events = new SqliteEventStore(o.journal, clock);
    const generated = new Map<string, number[]>(POINTS.map((p) => [p, []]));
    let eventsRecorded = 0;
    let alarmSeenAtPercent: number | undefined;
    let slowestTickMs = 0;
    const refused = new Set<string>();

    const hours = 9;
    let inFlight: OutboxRecord[] = [];
    for (let t = 0; t < (hours * 3600_000) / POLL_MS; t++) {
      now = T0 + t * POLL_MS;
      const samples: OutboxSample[] = POINTS.map((point, i) => ({
        point,
        at: now,
        value: 20 + i + (t % 7) / 10,
        quality: 'good',
      }));
      for (const s of samples) generated.get(s.point)!.push(s.at);
      const started = performance.now();
      const refusedBefore = o.outbox.stats().refusedSamples;
      await o.outbox.appendSamples(samples);
      slowestTickMs = Math.max(slowestTickMs, performance.now() - started);
      if (o.outbox.stats().refusedSamples > refusedBefore)
        for (const s of samples) refused.add(`${s.point}@${s.at}`);
      if (t === 2) inFlight = o.outbox.peek({ maxRecords: 10, maxBytes: 1e6 }); // sent, never acked
      if (t % 120 === 0) {
        await events.record({ type: 'mode-change', source: 'link', message: `still autonomous ${t}` });
        eventsRecorded++;
      }
      await o.outbox.idle();
      await detector.idle();
      if (alarmSeenAtPercent === undefined && alarms.uncleared('outbox-near-cap').length)
        alarmSeenAtPercent = (o.outbox.stats().usedBytes / CAP) * 100;
    }

    await o.outbox.flushAll();
    const records = drain(o.outbox);
    expect(gaps(records)).toEqual([]);
    expect(records[0].seq).toBe(1);
    // The wire form spliced from the stored bodies is the same records, thinned runs included.
    expect(records.some((r) => r.kind === 'thinned')).toBe(true);
    expect(drainJson(o.outbox)).toEqual(records);
    // The batch in flight was not rewritten.
    expect(records.slice(0, inFlight.length)).toEqual(inFlight);
    expect(inFlight.filter((r) => r.kind === 'sample')).toHaveLength(9);
    // Events whole: every one recorded is there, in order.
    const eventMessages = records
      .filter((r) => r.kind === 'event')
      .map((r) => (r.body as { message: string }).message);
    expect(eventMessages.filter((m) => m.startsWith('still autonomous'))).toHaveLength(eventsRecorded);
    // The alarm came at 80% (within one tick of it), as an alarm record and its event.
    expect(alarmSeenAtPercent).toBeGreaterThanOrEqual(80);
    expect(alarmSeenAtPercent).toBeLessThan(82);
    expect(records.some((r) => r.kind === 'alarm' && r.body.kind === 'outbox-near-cap')).toBe(true);

    // The ledger: both levels ran, oldest windows first, and every count is exact.
    const ledger = o.outbox.ledger(0, 1_000_000);
    const reasons = new Set(ledger.map((e) => e.reason));
    expect(reasons).toEqual(new Set([THIN_LEVELS[0].reason, THIN_LEVELS[1].reason, REFUSED_REASON]));
    const inFlightAt = new Set(
      records
        .slice(0, inFlight.length)
        .map((r) => `${(r.body as { point: string }).point}@${Date.parse(r.at)}`),
    );
    const survivors = new Map<string, number[]>(POINTS.map((p) => [p, []]));
    for (const r of records) if (r.kind === 'sample') survivors.get(r.body.point)!.push(Date.parse(r.at));
    const refusedLedger = ledger.filter((e) => e.reason === REFUSED_REASON);
    for (const point of POINTS) {
      const gen = generated.get(point)!;
      const mine = ledger.filter((e) => e.point === point);
      // Every generated sample survives or is accounted for by the ledger, exactly once.
      const accounted = mine.reduce((n, e) => n + e.samplesBefore - e.samplesAfter, 0);
      expect(survivors.get(point)!.length + accounted).toBe(gen.length);
      const thinnable = (from: number, to: number) =>
        gen.filter(
          (at) =>
            at >= from && at < to && !inFlightAt.has(`${point}@${at}`) && !refused.has(`${point}@${at}`),
        );
      for (const e of mine.filter((x) => x.reason === THIN_LEVELS[0].reason)) {
        const [from, to] = [Date.parse(e.from), Date.parse(e.to)];
        expect(to - from).toBe(THIN_LEVELS[0].windowMs);
        const inWindow = thinnable(from, to);
        expect(e.samplesBefore).toBe(inWindow.length);
        expect(e.samplesAfter).toBe(new Set(inWindow.map((at) => Math.floor(at / MIN))).size);
      }
      for (const e of mine.filter((x) => x.reason === THIN_LEVELS[1].reason)) {
        const [from, to] = [Date.parse(e.from), Date.parse(e.to)];
        const inWindow = thinnable(from, to);
        // Level 2 runs on windows level 1 already thinned: one per minute before, one per 15 minutes after.
        expect(e.samplesBefore).toBe(new Set(inWindow.map((at) => Math.floor(at / MIN))).size);
        expect(e.samplesAfter).toBe(new Set(inWindow.map((at) => Math.floor(at / (15 * MIN)))).size);
        // And the survivors of that window are exactly the first sample of each 15 minutes.
        const kept = survivors
          .get(point)!
          .filter((at) => at >= from && at < to && !inFlightAt.has(`${point}@${at}`));
        expect(kept).toEqual(
          [...new Set(inWindow.map((at) => Math.floor(at / (15 * MIN))))].map((b) =>
            inWindow.find((at) => Math.floor(at / (15 * MIN)) === b),
          ),
        );
      }
    }
    // The oldest windows went first: level 1's first ledger entry is the oldest whole window.
    expect(ledger.find((e) => e.reason === THIN_LEVELS[0].reason)!.from).toBe(new Date(T0).toISOString());
    // Refused telemetry was counted and ledgered (refusals still gathering are ledgered by flushAll).
    const refusedCount = o.outbox
      .ledger(0, 1_000_000)
      .filter((e) => e.reason === REFUSED_REASON)
      .reduce((n, e) => n + e.samplesBefore, 0);
    expect(refusedCount).toBe(o.outbox.stats().refusedSamples);
    expect(refusedLedger.length).toBeGreaterThan(0);
    // No scan tick was failed (every append resolved) or held for long.
    expect(slowestTickMs).toBeLessThan(5000);

    // The cloud is back: it takes everything, the outbox trims, the alarm clears.
    const all = drain(o.outbox);
    await o.outbox.confirm(endOf(all[all.length - 1]));
    await detector.idle();
    expect(alarms.uncleared('outbox-near-cap')).toEqual([]);
    // What is left is the clearing itself, for the cloud to see.
    const left = drain(o.outbox);
    expect(left.map((r) => r.kind)).toEqual(['alarm', 'event']);
    expect(left[0].body).toMatchObject({ kind: 'outbox-near-cap', state: 'cleared' });
    detector.onModuleDestroy();
  }, 120_000);
});
