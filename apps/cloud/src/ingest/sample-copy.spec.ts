import { describe, expect, it, jest } from '@jest/globals';
import type { PoolClient } from 'pg';
import type { OutboxRecord } from '#libs/sync';
import { copySamples, sampleCopyText } from './sample-copy.js';

type Sample = Extract<OutboxRecord, { kind: 'sample' }>;

const sample = (
  seq: number,
  point: string,
  value: number | null,
  quality: Sample['body']['quality'],
): Sample => ({
  seq,
  at: `2026-11-27T08:00:${String(seq % 60).padStart(2, '0')}.000Z`,
  kind: 'sample',
  body: { point, value, quality },
});
const text = (chunks: Iterable<Buffer>) => [...chunks].map((c) => c.toString('utf8'));

describe('sampleCopyText', () => {
  it('writes one tab-separated row per sample in column order, \\N for a missing value', () => {
    const ids = new Map([
      ['ahu-1.sat', 11],
      ['vav-2.zt', 12],
    ]);
    const rows = [
      sample(7, 'ahu-1.sat', 21.375, 'good'),
      sample(8, 'vav-2.zt', null, 'comm-fail'),
      sample(9, 'ahu-1.sat', 1e21, 'stale'),
    ];
    expect(text(sampleCopyText(3, 5, rows, ids))).toEqual([
      '3\t7\t5\t11\t2026-11-27T08:00:07.000Z\t21.375\tgood\n' +
        '3\t8\t5\t12\t2026-11-27T08:00:08.000Z\t\\N\tcomm-fail\n' +
        '3\t9\t5\t11\t2026-11-27T08:00:09.000Z\t1e+21\tstale\n',
    ]);
  });

  it('splits a large batch into chunks without losing or reordering a row', () => {
    const ids = new Map([['p', 1]]);
    const rows = Array.from({ length: 4500 }, (_, i) => sample(i + 1, 'p', i, 'good'));
    const chunks = text(sampleCopyText(1, 1, rows, ids));
    expect(chunks.length).toBeGreaterThan(1);
    const seqs = chunks
      .join('')
      .trimEnd()
      .split('\n')
      .map((line) => Number(line.split('\t')[1]));
    expect(seqs).toEqual(rows.map((r) => r.seq));
  });
});

describe('copySamples', () => {
  it('refuses a sample without a catalogue id before starting the COPY', async () => {
    const query = jest.fn();
    const client = { query } as unknown as PoolClient;
    await expect(
      copySamples(
        client,
        1,
        1,
        [sample(1, 'known', 1, 'good'), sample(2, 'unknown', 2, 'good')],
        new Map([['known', 1]]),
      ),
    ).rejects.toThrow('point "unknown" has no catalogue id');
    expect(query).not.toHaveBeenCalled();
  });

  it('sends nothing for a batch without samples', async () => {
    const query = jest.fn();
    await copySamples({ query } as unknown as PoolClient, 1, 1, [], new Map());
    expect(query).not.toHaveBeenCalled();
  });
});
