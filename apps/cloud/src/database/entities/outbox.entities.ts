/**
 * Tables the outbox is mirrored into (migration CloudInit1764748800000). Ingest
 * writes them with COPY and multi-row SQL (ingest/ingest.service.ts); these
 * entities are for reading (reporting, tests). bigint columns arrive as strings.
 */
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

@Entity('points')
export class PointRow {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id!: number;
  @Column('integer', { name: 'site_id' })
  siteId!: number;
  /** `deviceId.pointId` */
  @Column('text')
  key!: string;
  @Column({ type: 'timestamptz', name: 'first_seen_at', insert: false, update: false })
  firstSeenAt!: Date;
}

abstract class OutboxRowBase {
  @PrimaryColumn('integer', { name: 'controller_id' })
  controllerId!: number;
  @PrimaryColumn('bigint')
  seq!: string;
  @Column('timestamptz')
  at!: Date;
}

/** A record of one site: every outbox table but thinned_ranges. */
abstract class SiteRecordRowBase extends OutboxRowBase {
  @Column('integer', { name: 'site_id' })
  siteId!: number;
}

@Entity('samples')
export class SampleRow extends SiteRecordRowBase {
  @Column('integer', { name: 'point_id' })
  pointId!: number;
  @Column('double precision', { nullable: true })
  value!: number | null;
  @Column('text')
  quality!: string;
}

@Entity('events')
export class CloudEventRow extends SiteRecordRowBase {
  @Column('text')
  type!: string;
  @Column('text')
  source!: string;
  @Column('text', { nullable: true })
  subject!: string | null;
  @Column('text')
  message!: string;
  @Column('jsonb', { nullable: true })
  data!: Record<string, unknown> | null;
}

@Entity('alarms')
export class CloudAlarmRow extends SiteRecordRowBase {
  @Column('bigint', { name: 'alarm_id' })
  alarmId!: string;
  @Column('text')
  state!: string;
  @Column('jsonb')
  body!: Record<string, unknown>;
}

@Entity('audit')
export class CloudAuditRow extends SiteRecordRowBase {
  @Column('text')
  actor!: string;
  @Column('text')
  action!: string;
  @Column('text')
  target!: string;
  @Column('jsonb', { nullable: true })
  before!: unknown;
  @Column('jsonb', { nullable: true })
  after!: unknown;
}

@Entity('snapshot_versions')
export class SnapshotVersionRow extends SiteRecordRowBase {
  @Column('jsonb')
  version!: Record<string, unknown>;
}

@Entity('snapshot_blobs')
export class SnapshotBlobRow {
  @PrimaryColumn('integer', { name: 'site_id' })
  siteId!: number;
  @PrimaryColumn('text')
  hash!: string;
  @Column('jsonb')
  body!: unknown;
}

@Entity('loss_ledger')
export class LossLedgerRow extends SiteRecordRowBase {
  @Column('text')
  point!: string;
  @Column('timestamptz', { name: 'from_at' })
  fromAt!: Date;
  @Column('timestamptz', { name: 'to_at' })
  toAt!: Date;
  @Column('integer', { name: 'samples_before' })
  samplesBefore!: number;
  @Column('integer', { name: 'samples_after' })
  samplesAfter!: number;
  @Column('text')
  reason!: string;
}

@Entity('thinned_ranges')
export class ThinnedRangeRow extends OutboxRowBase {
  @Column('bigint')
  through!: string;
  @Column('integer')
  rows!: number;
}
