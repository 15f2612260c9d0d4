import { describe, expect, it } from '@jest/globals';
import type { OutboxRecord } from '#libs/sync';
import { Problem } from '../common/problem.js';
import { parseBatch } from './batch-schema.js';

const at = '2026-11-27T08:00:00.000Z';
const sample = (seq: number): OutboxRecord => ({
  seq,
  at,
  kind: 'sample',
  body: { point: 'vav-1.temp', value: 21.5, quality: 'good' },
});
const thinned = (seq: number, through: number): OutboxRecord => ({
  seq,
  at,
  kind: 'thinned',
  through,
  body: { rows: through - seq + 1 },
});

function refusal(body: unknown): { status: number; reason: string; detail: string } {
  try {
    parseBatch(body);
  } catch (error) {
    if (error instanceof Problem) {
      return { status: error.getStatus(), reason: error.reason, detail: error.message };
    }
    throw error;
  }
  throw new Error('accepted');
}

describe('parseBatch', () => {
  it('accepts a contiguous batch whose thinned range stands for its rows', () => {
    const batch = { site: 's', fromSeq: 5, toSeq: 20, records: [sample(5), thinned(6, 19), sample(20)] };
    expect(parseBatch(batch)).toBe(batch);
  });

  it.each([
    [
      'a record out of order',
      { fromSeq: 1, toSeq: 3, records: [sample(1), sample(3), sample(2)] },
      'sequence-reversal',
      '/records/2/seq',
    ],
    [
      'a repeated seq',
      { fromSeq: 1, toSeq: 2, records: [sample(1), sample(1), sample(2)] },
      'sequence-reversal',
      '/records/1/seq',
    ],
    [
      'a record inside a thinned range',
      { fromSeq: 1, toSeq: 5, records: [thinned(1, 4), sample(3), sample(5)] },
      'sequence-reversal',
      '/records/1/seq',
    ],
    [
      'a hole',
      { fromSeq: 1, toSeq: 4, records: [sample(1), sample(2), sample(4)] },
      'sequence-hole',
      'expected 3, got 4',
    ],
    [
      'a first record after fromSeq',
      { fromSeq: 1, toSeq: 3, records: [sample(2), sample(3)] },
      'sequence-hole',
      'expected 1, got 2',
    ],
    [
      'toSeq past the last record',
      { fromSeq: 1, toSeq: 9, records: [sample(1)] },
      'invalid-batch',
      'records end at 1',
    ],
    [
      'toSeq below fromSeq',
      { fromSeq: 3, toSeq: 2, records: [sample(3)] },
      'sequence-reversal',
      'below fromSeq',
    ],
  ])('refuses %s', (_name, partial, reason, detail) => {
    const result = refusal({ site: 's', ...partial });
    expect(result.status).toBe(400);
    expect(result.reason).toBe(reason);
    expect(result.detail).toContain(detail);
  });

  it.each([
    [
      'no records',
      { site: 's', fromSeq: 1, toSeq: 1, records: [] },
      '/records: must NOT have fewer than 1 items',
    ],
    [
      'an unknown kind',
      { site: 's', fromSeq: 1, toSeq: 1, records: [{ ...sample(1), kind: 'tweet' }] },
      '/records/0/kind',
    ],
    [
      'a sample without a zone',
      { site: 's', fromSeq: 1, toSeq: 1, records: [{ ...sample(1), at: '2026-11-27 08:00' }] },
      '/records/0/at',
    ],
    [
      'a bad quality',
      {
        site: 's',
        fromSeq: 1,
        toSeq: 1,
        records: [{ ...sample(1), body: { point: 'p', value: 1, quality: 'meh' } }],
      },
      '/records/0/body/quality: must be one of good, stale, comm-fail',
    ],
    [
      'an extra field',
      { site: 's', fromSeq: 1, toSeq: 1, records: [sample(1)], extra: true },
      '(root): unknown field "extra"',
    ],
    ['seq zero', { site: 's', fromSeq: 0, toSeq: 0, records: [{ ...sample(0) }] }, '/fromSeq: must be >= 1'],
  ])('names the field of %s', (_name, body, detail) => {
    const result = refusal(body);
    expect(result.reason).toBe('invalid-batch');
    expect(result.detail).toContain(detail);
  });
});
