/**
 * The controller's event log: EVENT_SINK backed by the append-only `event`
 * table (migration 1764576000000). `record` resolves once the row is
 * committed (SqliteJournal); `appendEvent` lets another store write its state
 * change and the event recording it in one transaction (alarms and the command
 * store do). Every
 * event is appended to the outbox in that same transaction too.
 *
 * Reading (GET /api/v1/events) is by sequence number, the append order:
 * newest first by default; with `after` oldest first from there, so a reader
 * pages forward without missing or repeating an event (the outbox's read);
 * with `before` newest first below it, to page back through history.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EventDto } from '#libs/contracts';
import type { EventBody } from '#libs/sync';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import type { EventSink, EventType, NewEvent } from './event-sink.js';
import { addFilters, prepared, SqliteJournal } from './sqlite-journal.js';
import type { SqliteConnection } from './sqlite-journal.js';
import { appendRecord } from '../outbox/outbox-append.js';

export const MAX_EVENTS_PER_PAGE = 1000;

export interface EventQuery {
  types?: readonly EventType[];
  subject?: string;
  source?: string;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  /** Sequence numbers strictly above this, oldest first. */
  after?: number;
  /** Sequence numbers strictly below this, newest first (unless `after` is given too). */
  before?: number;
  limit: number;
}

interface Row {
  seq: number;
  at: number;
  type: string;
  source: string;
  subject: string | null;
  message: string;
  data_json: string | null;
}

/** Appends one event inside the caller's transaction; returns its sequence number. */
export function appendEvent(conn: SqliteConnection, event: NewEvent, now: number): number {
  const data = event.data === undefined ? null : JSON.stringify(event.data);
  const r = prepared(
    conn,
    `INSERT INTO "event" ("at", "type", "source", "subject", "message", "data_json") VALUES (?, ?, ?, ?, ?, ?)`,
  ).run(event.at ?? now, event.type, event.source, event.subject ?? null, event.message, data);
  // The outbox record of it, in the same transaction (DESIGN.md point 6).
  const body: EventBody = { type: event.type, source: event.source, message: event.message };
  if (event.subject !== undefined) body.subject = event.subject;
  if (event.data !== undefined) body.data = event.data;
  appendRecord(conn, { kind: 'event', at: event.at ?? now, body });
  return Number(r.lastInsertRowid);
}

@Injectable()
export class SqliteEventStore implements EventSink {
  constructor(
    private readonly journal: SqliteJournal,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async record(event: NewEvent): Promise<void> {
    await this.journal.write((conn) => appendEvent(conn, event, this.clock.now()));
  }

  list(q: EventQuery): EventDto[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.types?.length) {
      where.push(`"type" IN (${q.types.map(() => '?').join(', ')})`);
      params.push(...q.types);
    }
    addFilters(where, params, [
      ['subject', '=', q.subject],
      ['source', '=', q.source],
      ['at', '>=', q.since],
      ['at', '<', q.until],
      ['seq', '>', q.after],
      ['seq', '<', q.before],
    ]);
    const order = q.after !== undefined ? 'ASC' : 'DESC';
    const sql = `SELECT * FROM "event"${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY "seq" ${order} LIMIT ?`;
    const rows = this.journal.read((conn) => conn.prepare(sql).all(...params, q.limit)) as Row[];
    return rows.map(toDto);
  }
}

function toDto(r: Row): EventDto {
  return {
    seq: r.seq,
    at: new Date(r.at).toISOString(),
    type: r.type,
    source: r.source,
    subject: r.subject,
    message: r.message,
    data: r.data_json === null ? null : (JSON.parse(r.data_json) as Record<string, unknown>),
  };
}
