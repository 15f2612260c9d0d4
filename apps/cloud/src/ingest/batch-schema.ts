/**
 * The IngestBatch of libs/sync wire.ts as a JSON Schema, checked before any
 * SQL runs; a refusal names the field (`/records/3/body/value: must be
 * number,null`). Contiguity is checked after the shape (checkContiguous).
 */
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { OUTBOX_KINDS } from '#libs/sync';
import type { IngestBatch, OutboxRecord } from '#libs/sync';
import { Problem } from '../common/problem.js';

// ISO 8601 date-time with a zone, as the controller writes it (Date.toISOString() and friends).
const ISO = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$';
const SEQ = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
const object = (required: string[], properties: Record<string, unknown>, additional = false) => ({
  type: 'object',
  required,
  properties,
  additionalProperties: additional,
});
const record = (kind: string, body: unknown, extra: Record<string, unknown> = {}) =>
  object(['seq', 'at', 'kind', 'body', ...Object.keys(extra)], {
    seq: SEQ,
    at: { type: 'string', pattern: ISO },
    kind: { const: kind },
    body,
    ...extra,
  });
const text = { type: 'string', maxLength: 10_000 } as const;

const schema = object(['site', 'fromSeq', 'toSeq', 'records'], {
  site: { type: 'string', minLength: 1, maxLength: 63 },
  fromSeq: SEQ,
  toSeq: SEQ,
  records: {
    type: 'array',
    minItems: 1,
    items: {
      type: 'object',
      required: ['kind'],
      discriminator: { propertyName: 'kind' },
      oneOf: [
        record(
          'sample',
          object(['point', 'value', 'quality'], {
            point: { type: 'string', minLength: 1, maxLength: 200 },
            value: { type: ['number', 'null'] },
            quality: { enum: ['good', 'stale', 'comm-fail'] },
          }),
        ),
        record(
          'event',
          object(['type', 'source', 'message'], {
            type: text,
            source: text,
            subject: text,
            message: text,
            data: { type: 'object' },
          }),
        ),
        record(
          'alarm',
          object(['id', 'state'], { id: { type: 'integer', minimum: 0 }, state: { type: 'string' } }, true),
        ),
        record(
          'audit',
          object(['actor', 'action', 'target'], {
            actor: text,
            action: text,
            target: text,
            before: {},
            after: {},
          }),
        ),
        record(
          'snapshot',
          object(['version', 'blobs'], { version: { type: 'object' }, blobs: { type: 'object' } }),
        ),
        record(
          'loss',
          object(['point', 'from', 'to', 'samplesBefore', 'samplesAfter', 'reason'], {
            point: { type: 'string', minLength: 1, maxLength: 200 },
            from: { type: 'string', pattern: ISO },
            to: { type: 'string', pattern: ISO },
            samplesBefore: { type: 'integer', minimum: 0 },
            samplesAfter: { type: 'integer', minimum: 0 },
            reason: text,
          }),
        ),
        record('thinned', object(['rows'], { rows: { type: 'integer', minimum: 0 } }), { through: SEQ }),
      ],
    },
  },
});

const validate = new Ajv({ allErrors: false, discriminator: true }).compile<IngestBatch>(schema);

/** The body as an IngestBatch, or 400 naming the first wrong field. */
export function parseBatch(body: unknown): IngestBatch {
  if (!validate(body)) {
    throw new Problem(400, 'invalid-batch', `invalid batch: ${describe(validate.errors?.[0])}`);
  }
  checkContiguous(body);
  return body;
}

/** The last sequence number a record stands for: `through` for a thinned range. */
export function lastSeqOf(record: OutboxRecord): number {
  return record.kind === 'thinned' ? record.through : record.seq;
}

/**
 * wire.ts: a batch covers fromSeq..toSeq without holes, in increasing order.
 * A record at or below its predecessor is a reversal; a hole is a gap inside
 * the batch. Both are the sender's bug: 400, nothing written.
 */
function checkContiguous(batch: IngestBatch): void {
  if (batch.toSeq < batch.fromSeq) {
    throw new Problem(400, 'sequence-reversal', `toSeq ${batch.toSeq} is below fromSeq ${batch.fromSeq}`);
  }
  // Order first, so a swapped pair is named a reversal rather than the hole it also leaves.
  let previous = 0;
  batch.records.forEach((record, index) => {
    if (record.kind === 'thinned' && record.through < record.seq) {
      throw new Problem(
        400,
        'sequence-reversal',
        `/records/${index}: through ${record.through} is below seq ${record.seq}`,
      );
    }
    if (record.seq <= previous) {
      throw new Problem(
        400,
        'sequence-reversal',
        `/records/${index}/seq: ${record.seq} does not follow ${previous} (records must increase)`,
        { previous, got: record.seq },
      );
    }
    previous = lastSeqOf(record);
  });
  let expected = batch.fromSeq;
  batch.records.forEach((record, index) => {
    if (record.seq !== expected) {
      throw new Problem(
        400,
        'sequence-hole',
        `/records/${index}/seq: expected ${expected}, got ${record.seq} (a batch covers fromSeq..toSeq without holes)`,
        { expected, got: record.seq },
      );
    }
    expected = lastSeqOf(record) + 1;
  });
  if (expected - 1 !== batch.toSeq) {
    throw new Problem(400, 'invalid-batch', `toSeq is ${batch.toSeq} but the records end at ${expected - 1}`);
  }
}

function describe(error: ErrorObject | undefined): string {
  if (!error) return 'unknown error';
  const where = error.instancePath || '(root)';
  const extra = (error.params as { additionalProperty?: string }).additionalProperty;
  const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues;
  if (extra) return `${where}: unknown field "${extra}"`;
  if (error.keyword === 'discriminator') {
    const tag = (error.params as { tagValue?: unknown }).tagValue;
    return `${where}/kind: ${JSON.stringify(tag)} is not one of ${OUTBOX_KINDS.join(', ')}`;
  }
  if (allowed) return `${where}: must be one of ${allowed.join(', ')}`;
  if (error.keyword === 'pattern') return `${where}: must be an ISO 8601 date-time with a zone`;
  return `${where}: ${error.message ?? 'invalid'}`;
}
