/**
 * What the sync client needs of the durable outbox (issue 5 item 4, DESIGN.md
 * point 6, CONVENTIONS.md habit 7: append, peek a batch, confirm the batch).
 *
 * - `peek` reads, without removing, the oldest unsent records after `afterSeq`
 *   (default: after the last confirmed high-water mark), in sequence order and
 *   contiguous: each record's `seq` is the previous record's `through ?? seq`
 *   plus one. It returns at least one record when any is unsent, even if that
 *   one alone exceeds `maxBytes`; otherwise it stops before `maxRecords` or
 *   `maxBytes` (the sum of the records' JSON sizes) would be exceeded. The
 *   batch's `fromSeq` is `records[0].seq`, its `toSeq` the last record's
 *   `through ?? seq`.
 * - `confirm(hwm)` trims every record whose `through ?? seq` is ≤ hwm, and only
 *   those; call it only with the cloud's answered high-water mark, after its
 *   commit. It resolves once the trim is committed. A hwm below the last one
 *   confirmed changes nothing.
 * - Records peeked are fenced from cap thinning until confirmed or released
 *   (`release()`: the request carrying them ended without a confirm): a batch
 *   in flight is never rewritten under the sync client, so the cloud never
 *   sees a sequence reversal, and an outage does not fence the backlog.
 */
import type { OutboxRecord } from '#libs/sync';

export interface PeekOptions {
  maxRecords: number;
  maxBytes: number;
  /** Records with `seq` above this; default the last confirmed high-water mark. */
  afterSeq?: number;
}

export interface OutboxStats {
  /** Unsent records and their stored size (bytes of the JSON bodies plus a fixed per-row overhead). */
  backlog: number;
  backlogBytes: number;
  /** The oldest unsent record, or null when everything is confirmed. */
  oldestUnsent: { seq: number; at: string } | null;
  /** The last high-water mark confirmed by the cloud (0 before the first). */
  confirmedSeq: number;
  /** The highest sequence number assigned so far (0 before the first). */
  lastSeq: number;
  capBytes: number;
  /** Bytes the outbox holds now (equal to backlogBytes: only unsent records are kept). */
  usedBytes: number;
  /** Append rate in bytes per second over a sliding window (60 s). */
  ratePerSecond: number;
  /** (capBytes − usedBytes) / ratePerSecond; null while nothing is being appended. */
  runwaySeconds: number | null;
  /** Samples refused since start because even thinning could not make room. */
  refusedSamples: number;
}

/** A peeked batch already in its wire form: `recordsJson` is the JSON array of the OutboxRecords. */
export interface PeekedJson {
  count: number;
  fromSeq: number;
  toSeq: number;
  recordsJson: string;
  /** The batch's size as `maxBytes` counts it (the sync client shrinks batches in these units after a 413). */
  bytes: number;
}

/** Sequence numbers (afterSeq, throughSeq]: where the next batch lies, fenced before it is read. */
export interface ReservedRange {
  afterSeq: number;
  throughSeq: number;
}

export interface OutboxPort {
  peek(opts: PeekOptions): OutboxRecord[];
  /** The same records as `peek` (and the same fence), as JSON spliced from the stored bodies; undefined when none. */
  peekJson(opts: PeekOptions): PeekedJson | undefined;
  /**
   * For a reader on another connection of the same file (the sync client's
   * replay worker): the `span` sequence numbers from the oldest unsent record
   * on, fenced from cap thinning before it reads them, so a batch read there
   * is never thinned under it (a fence raised after its read could come too
   * late). It reads peekRows(afterSeq, …, throughSeq). Undefined when nothing
   * is unsent.
   */
  reserve(span: number): ReservedRange | undefined;
  confirm(highWaterMark: number): Promise<void>;
  /** Lifts the fence of the last peek or reserve: the batch is no longer in flight and was not confirmed. */
  release(): void;
  stats(): OutboxStats;
}

export const OUTBOX = Symbol('OUTBOX');
