import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One scanned value of one point: the controller's local history. */
@Entity({ name: 'point_sample' })
@Index('idx_point_sample_point_ts', ['pointId', 'ts'])
export class PointSample {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  /** deviceId/pointId: point ids are unique only within a device. */
  @Column({ name: 'point_id', type: 'text' })
  pointId!: string;

  /** Milliseconds since the epoch, UTC. */
  @Column({ type: 'integer' })
  ts!: number;

  @Column({ type: 'real', nullable: true })
  value!: number | null;

  @Column({ type: 'text' })
  quality!: string;
}
