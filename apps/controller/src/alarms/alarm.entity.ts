import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One alarm occurrence (migration 1764576000000); its state is derived from the three instants. */
@Entity({ name: 'alarm' })
export class AlarmRow {
  @PrimaryGeneratedColumn({ name: 'id' })
  id!: number;

  @Column({ name: 'kind', type: 'text' })
  kind!: string;

  @Column({ name: 'subject', type: 'text' })
  subject!: string;

  @Column({ name: 'severity', type: 'text' })
  severity!: string;

  @Column({ name: 'message', type: 'text' })
  message!: string;

  @Column({ name: 'data_json', type: 'text', nullable: true })
  dataJson!: string | null;

  /** Milliseconds since the epoch, UTC; likewise the other instants. */
  @Column({ name: 'raised_at', type: 'integer' })
  raisedAt!: number;

  @Column({ name: 'cleared_at', type: 'integer', nullable: true })
  clearedAt!: number | null;

  @Column({ name: 'acknowledged_at', type: 'integer', nullable: true })
  acknowledgedAt!: number | null;

  @Column({ name: 'acknowledged_by', type: 'text', nullable: true })
  acknowledgedBy!: string | null;

  @Column({ name: 'acknowledgement_comment', type: 'text', nullable: true })
  acknowledgementComment!: string | null;
}
