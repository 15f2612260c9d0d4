/**
 * Desired and reported state per controller (issue 5 item 6). The tables are
 * created here; apps/cloud/src/shadow/ owns the API and the meaning of `body`
 * (libs/sync DesiredState, ReportedState).
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('desired_state')
export class DesiredStateRow {
  @PrimaryColumn('integer', { name: 'controller_id' })
  controllerId!: number;
  /** bigint: arrives as a string. */
  @Column('bigint')
  version!: string;
  @Column('jsonb')
  body!: Record<string, unknown>;
  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}

@Entity('reported_state')
export class ReportedStateRow {
  @PrimaryColumn('integer', { name: 'controller_id' })
  controllerId!: number;
  @Column('jsonb')
  body!: Record<string, unknown>;
  @Column('timestamptz', { name: 'received_at' })
  receivedAt!: Date;
}
