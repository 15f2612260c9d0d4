/**
 * The sync wire format between a controller and the cloud (issue 5 items 4–6,
 * DESIGN.md points 6–7). Plain JSON types shared by the controller's outbox
 * and sync client and the cloud's ingest and shadow; no I/O here.
 *
 * Sequence numbers: every outbox record has a per-controller sequence number,
 * assigned when it is appended and never reused. A batch is contiguous: its
 * records cover `fromSeq..toSeq` without holes. Telemetry thinned near the
 * outbox cap does not leave a hole: the thinned run is one `thinned` record
 * whose `seq..through` range stands for the rows it replaced, and a
 * `loss` record (the loss ledger entry) says exactly what was thinned.
 * The cloud therefore refuses gaps and reversals, and can prove continuity.
 */

export type OutboxKind = 'sample' | 'event' | 'alarm' | 'audit' | 'snapshot' | 'loss' | 'thinned';

export const OUTBOX_KINDS: readonly OutboxKind[] = [
  'sample',
  'event',
  'alarm',
  'audit',
  'snapshot',
  'loss',
  'thinned',
];

/** One reading of one point. */
export interface SampleBody {
  /** `deviceId.pointId` */
  point: string;
  value: number | null;
  quality: 'good' | 'stale' | 'comm-fail';
}

/** The controller's event (apps/controller/src/events/event-sink.ts), as stored. */
export interface EventBody {
  type: string;
  source: string;
  subject?: string;
  message: string;
  data?: Record<string, unknown>;
}

/** An alarm occurrence after a change (raise, clear, acknowledge): its whole current row. */
export type AlarmBody = Record<string, unknown> & { id: number; state: string };

/** An audit entry: who did what, before and after (DESIGN.md point 9). */
export interface AuditBody {
  actor: string;
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
}

/** A configuration version and the blobs the cloud does not have yet (libs/snapshots). */
export interface SnapshotBody {
  version: Record<string, unknown>;
  blobs: Record<string, unknown>;
}

/** A loss-ledger entry: what thinning did to one point over one interval. */
export interface LossBody {
  point: string;
  /** ISO 8601, inclusive. */
  from: string;
  /** ISO 8601, exclusive. */
  to: string;
  samplesBefore: number;
  samplesAfter: number;
  /** e.g. 'outbox-cap: keep 1 per minute' */
  reason: string;
}

/** Stands for the thinned rows `seq..through` (inclusive); their surviving samples were re-appended. */
export interface ThinnedBody {
  rows: number;
}

interface RecordBase<K extends OutboxKind, B> {
  seq: number;
  /** ISO 8601 UTC: when the recorded thing happened (a sample's read time). */
  at: string;
  kind: K;
  body: B;
}

export type OutboxRecord =
  | RecordBase<'sample', SampleBody>
  | RecordBase<'event', EventBody>
  | RecordBase<'alarm', AlarmBody>
  | RecordBase<'audit', AuditBody>
  | RecordBase<'snapshot', SnapshotBody>
  | RecordBase<'loss', LossBody>
  | (RecordBase<'thinned', ThinnedBody> & { through: number });

/**
 * POST /api/v1/sync/batches (signed; body gzip-encoded JSON, Content-Encoding: gzip).
 * The cloud knows the controller from the signature's keyid; `site` must be the site it is enrolled for.
 */
export interface IngestBatch {
  site: string;
  /** seq of the first record. */
  fromSeq: number;
  /** seq (or `through`) of the last record. */
  toSeq: number;
  records: OutboxRecord[];
}

/** The cloud's answer after its commit: everything up to here is durable in the cloud. */
export interface IngestAck {
  highWaterMark: number;
}

/**
 * A cloud command: always with a lease (libs/priority DEFAULT_MAX_LEASE_MS);
 * the controller commands slot 10 and renews while the same leaseId stays desired.
 */
export interface DesiredCommand {
  point: string;
  value: number;
  leaseId: string;
  leaseMs: number;
}

/** GET /api/v1/sync/desired?after=<version>&waitSeconds=<n> (signed long-poll). */
export interface DesiredState {
  /** Monotonic per controller; the controller sends back the last one it applied. */
  version: number;
  commands: DesiredCommand[];
  /** Schedules and calendars to apply as a new snapshot version, when the cloud changed them. */
  configuration?: { schedules?: Record<string, unknown>; calendars?: Record<string, unknown> };
}

/** POST /api/v1/sync/reported (signed): what the controller applied and what is in force. */
export interface ReportedState {
  appliedVersion: number;
  /** Per writable point: the effective value and which source holds it. */
  points: Record<string, { value: number | null; priority: number | null; source: string }>;
  /** Desired commands the controller refused or that a higher slot outranks, with why. */
  notes?: { point: string; leaseId?: string; reason: string }[];
  mode: 'CONNECTED' | 'DEGRADED' | 'AUTONOMOUS';
}
