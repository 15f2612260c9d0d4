/**
 * What the sync client needs of the outbox (CONVENTIONS.md habit 7: peek a
 * batch, confirm the batch): records in sequence order bounded by count and
 * bytes, and a confirm that trims everything up to the cloud's high-water mark.
 * The controller's outbox (apps/controller/src/outbox) provides it under OUTBOX.
 */
import type { IngestBatch, OutboxRecord } from '#libs/sync';

export interface PeekLimits {
  maxRecords: number;
  maxBytes: number;
}

export interface SyncOutbox {
  /** The oldest unconfirmed records, contiguous, in sequence order; empty when all is confirmed. */
  peek(limits: PeekLimits): Promise<readonly OutboxRecord[]> | readonly OutboxRecord[];
  /** Everything up to and including `highWaterMark` is durable in the cloud and may be trimmed. */
  confirm(highWaterMark: number): Promise<void> | void;
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
