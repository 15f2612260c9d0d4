import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The persisted priority array and output-gate state of one point (migration 1764403200000). */
@Entity({ name: 'point_command_state' })
export class PointCommandState {
  /** deviceId.pointId */
  @PrimaryColumn({ name: 'point_id', type: 'text' })
  pointId!: string;

  /** libs/priority PriorityArrayJson. */
  @Column({ name: 'array_json', type: 'text' })
  arrayJson!: string;

  /** libs/priority OutputState. */
  @Column({ name: 'output_json', type: 'text' })
  outputJson!: string;

  /** Milliseconds since the epoch, UTC. */
  @Column({ name: 'updated_at', type: 'integer' })
  updatedAt!: number;
}
