import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One recorded event (migration 1764576000000). Append-only: rows are
 * inserted by SqliteEventStore and never updated; `seq` is the append order
 * and the future outbox sequence.
 */
@Entity({ name: 'event' })
export class EventRow {
  @PrimaryGeneratedColumn({ name: 'seq' })
  seq!: number;

  /** Milliseconds since the epoch, UTC. */
  @Column({ name: 'at', type: 'integer' })
  at!: number;

  @Column({ name: 'type', type: 'text' })
  type!: string;

  @Column({ name: 'source', type: 'text' })
  source!: string;

  @Column({ name: 'subject', type: 'text', nullable: true })
  subject!: string | null;

  @Column({ name: 'message', type: 'text' })
  message!: string;

  @Column({ name: 'data_json', type: 'text', nullable: true })
  dataJson!: string | null;
}
