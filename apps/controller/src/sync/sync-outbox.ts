/**
 * What the sync client needs of the outbox (CONVENTIONS.md habit 7: peek a
 * batch, confirm the batch): records in sequence order bounded by count and
 * bytes, and a confirm that trims everything up to the cloud's high-water mark.
 * The controller's outbox (apps/controller/src/outbox) provides it under OUTBOX.
 */
import type { IngestBatch, OutboxRecord } from '#libs/sync';
import type { PeekedJson, PeekOptions } from '../outbox/outbox.port.js';

export type PeekLimits = Pick<PeekOptions, 'maxRecords' | 'maxBytes'>;

export interface SyncOutbox {
  /** The oldest unconfirmed records, contiguous, in sequence order; empty when all is confirmed. */
  peek(limits: PeekLimits): Promise<readonly OutboxRecord[]> | readonly OutboxRecord[];
  /**
   * The same batch as `peek`, already as the JSON array of its records (undefined when none):
   * an outbox that stores bodies as JSON splices them instead of parsing and stringifying them.
   */
  peekJson?(limits: PeekLimits): PeekedJson | undefined;
  /** Everything up to and including `highWaterMark` is durable in the cloud and may be trimmed. */
  confirm(highWaterMark: number): Promise<void> | void;
  /**
   * The batch last peeked is no longer in flight and was not confirmed (the
   * cloud was unreachable, refused it or it was too large): cap thinning may
   * take its records again. Without this, an outage would keep the oldest
   * batch, on a small cap the whole outbox, fenced from thinning.
   */
  release?(): void;
}

/** The last sequence number a record stands for (a thinned run stands for seq..through). */
export function lastSeqOf(record: OutboxRecord): number {
  return record.kind === 'thinned' ? record.through : record.seq;
}

export function batchOf(site: string, records: readonly OutboxRecord[]): IngestBatch {
  return {
    site,
    fromSeq: records[0].seq,
    toSeq: lastSeqOf(records[records.length - 1]),
    records: [...records],
  };
}

/** The request body of a batch: an IngestBatch as JSON, its records spliced in as they are. */
export function batchJsonOf(site: string, peeked: PeekedJson): string {
  return `{"site":${JSON.stringify(site)},"fromSeq":${peeked.fromSeq},"toSeq":${peeked.toSeq},"records":${peeked.recordsJson}}`;
}

/** The same body from parsed records (an outbox without peekJson, and the tests' fakes). */
export function peekBatch(
  outbox: SyncOutbox,
  limits: PeekLimits,
): Promise<PeekedJson | undefined> | PeekedJson | undefined {
  if (outbox.peekJson) return outbox.peekJson(limits);
  const toPeeked = (records: readonly OutboxRecord[]): PeekedJson | undefined => {
    if (records.length === 0) return undefined;
    const batch = batchOf('', records);
    return {
      count: records.length,
      fromSeq: batch.fromSeq,
      toSeq: batch.toSeq,
      recordsJson: JSON.stringify(batch.records),
      // The port's measure: the sum of the records' JSON sizes.
      bytes: records.reduce((n, r) => n + JSON.stringify(r).length, 0),
    };
  };
  const peeked = outbox.peek(limits);
  return peeked instanceof Promise ? peeked.then(toPeeked) : toPeeked(peeked);
}
