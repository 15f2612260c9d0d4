/**
 * The samples of a batch into PostgreSQL by COPY FROM STDIN on the batch's
 * own transaction (issue 5 item 7: multi-row inserts or COPY). COPY skips the
 * per-statement parameter arrays and the executor's per-row SELECT of an
 * INSERT ... SELECT unnest(...): for a few thousand samples it is the cheaper
 * way in, and it commits or rolls back with the rest of the batch.
 *
 * COPY has no ON CONFLICT; none is needed: the caller holds the controller's
 * progress row lock and passes only records above the high-water mark, so a
 * duplicate cannot arrive here, and if one did the primary key would fail the
 * COPY and with it the whole batch (nothing half-written, nothing doubled).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { OutboxRecord } from '#libs/sync';

type Sample = Extract<OutboxRecord, { kind: 'sample' }>;

export const SAMPLE_COPY =
  'COPY samples (controller_id, seq, site_id, point_id, at, value, quality) FROM STDIN';

/** Rows per chunk handed to the COPY stream: big enough to amortise, small enough not to build one huge string. */
const CHUNK_ROWS = 2000;

/**
 * The samples as COPY text rows. No escaping is needed and none is done: the
 * batch schema has already bounded every field to characters COPY text takes
 * literally (integers, an ISO 8601 date-time, a JSON number or null, one of
 * three quality words), and the point id comes from the catalogue.
 */
export function* sampleCopyText(
  controllerId: number,
  siteId: number,
  samples: Sample[],
  pointIds: ReadonlyMap<string, number>,
): Generator<Buffer> {
  const head = `${controllerId}\t`;
  const site = `\t${siteId}\t`;
  for (let from = 0; from < samples.length; from += CHUNK_ROWS) {
    let text = '';
    const to = Math.min(from + CHUNK_ROWS, samples.length);
    for (let i = from; i < to; i++) {
      const r = samples[i];
      const id = pointIds.get(r.body.point) ?? missing(r.body.point);
      const value = r.body.value === null ? '\\N' : String(r.body.value);
      text += `${head}${r.seq}${site}${id}\t${r.at}\t${value}\t${r.body.quality}\n`;
    }
    yield Buffer.from(text, 'utf8');
  }
}

function missing(point: string): never {
  throw new Error(`point "${point}" has no catalogue id`);
}

/** Streams the samples into `samples` over `client`, inside whatever transaction it has open. */
export async function copySamples(
  client: PoolClient,
  controllerId: number,
  siteId: number,
  samples: Sample[],
  pointIds: ReadonlyMap<string, number>,
): Promise<void> {
  if (samples.length === 0) return;
  // Every id before the COPY starts: a failure inside the stream would have to abort it half-sent.
  for (const r of samples) if (!pointIds.has(r.body.point)) missing(r.body.point);
  await pipeline(
    Readable.from(sampleCopyText(controllerId, siteId, samples, pointIds)),
    client.query(copyFrom(SAMPLE_COPY)),
  );
}
