/**
 * A property of the outbox on a real SQLite file (fast-check): after any
 * sequence of scan ticks, events, thinnings forced by a small cap, peeks and
 * confirms, the unsent records cover one contiguous sequence range, and every
 * sample appended either is still there, was confirmed by the cloud, or is
 * accounted for by exactly one ledger entry (thinned or refused).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { SqliteEventStore } from '../events/event-store.js';
import { readMeta } from './outbox-append.js';
import { drain, endOf, gaps, openOutbox } from './test-support.js';

const T0 = Date.parse('2025-06-02T00:00:00Z');
const POINTS = ['a.x', 'a.y', 'b.z'];

type Step =
  | { op: 'tick'; minutes: number; perMinute: number }
  | { op: 'event' }
  | { op: 'confirm'; fraction: number }
  | { op: 'peek'; n: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('tick' as const),
      minutes: fc.integer({ min: 1, max: 20 }),
      perMinute: fc.integer({ min: 1, max: 12 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'event' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('confirm' as const),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('peek' as const), n: fc.integer({ min: 1, max: 30 }) }),
  },
);

describe('outbox invariants (property)', () => {
  it('keeps unsent records contiguous and every sample surviving, confirmed or ledgered exactly once', async () => {
    let thinningsSeen = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 20_000, max: 80_000 }),
        async (steps, cap) => {
          const dir = mkdtempSync(join(tmpdir(), 'bulwark-outbox-prop-'));
          let now = T0;
          const o = await openOutbox(join(dir, 'c.sqlite'), { now: () => now }, { capBytes: cap });
          try {
            const events = new SqliteEventStore(o.journal, { now: () => now });
            let generated = 0;
            let confirmedSamples = 0;
            let eventsRecorded = 0;
            let confirmedEvents = 0;
            for (const s of steps) {
              if (s.op === 'tick') {
                for (let m = 0; m < s.minutes; m++)
                  for (let k = 0; k < s.perMinute; k++) {
                    now += Math.floor(60_000 / s.perMinute);
                    await o.outbox.appendSamples(
                      POINTS.map((point) => ({ point, at: now, value: k, quality: 'good' as const })),
                    );
                    generated += POINTS.length;
                    await o.outbox.idle();
                  }
              } else if (s.op === 'event') {
                await events.record({ type: 'mode-change', source: 'link', message: 'm' });
                eventsRecorded++;
              } else if (s.op === 'peek') {
                o.outbox.peek({ maxRecords: s.n, maxBytes: 1e9 });
              } else {
                const all = drain(o.outbox);
                const upto = all.slice(0, Math.floor(all.length * s.fraction));
                if (upto.length) {
                  confirmedSamples += upto.filter((r) => r.kind === 'sample').length;
                  confirmedEvents += upto.filter((r) => r.kind === 'event').length;
                  await o.outbox.confirm(endOf(upto[upto.length - 1]));
                }
              }
              await o.outbox.flushAll();
              const records = drain(o.outbox);
              expect(gaps(records)).toEqual([]);
              const ledger = o.outbox.ledger(0, 1e9);
              const accounted = ledger.reduce((n, e) => n + e.samplesBefore - e.samplesAfter, 0);
              const surviving = records.filter((r) => r.kind === 'sample').length;
              expect(surviving + confirmedSamples + accounted).toBe(generated);
              expect(records.filter((r) => r.kind === 'event').length + confirmedEvents).toBe(eventsRecorded);
              const meta = o.journal.read(readMeta);
              const actual = o.journal.read((c) =>
                c.prepare('SELECT count(*) AS records, coalesce(sum(bytes), 0) AS bytes FROM outbox').get(),
              ) as { records: number; bytes: number };
              expect(actual).toEqual({ records: meta.records, bytes: meta.bytes });
            }
            thinningsSeen += o.outbox
              .ledger(0, 1e9)
              .filter((e) => e.reason.startsWith('outbox-cap: keep')).length;
          } finally {
            await o.db.destroy();
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 12 },
    );
    // The property was exercised with thinning, not only with appends that fitted.
    expect(thinningsSeen).toBeGreaterThan(0);
  }, 180_000);
});
