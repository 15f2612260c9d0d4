/**
 * Alarm occurrences in SQLite (table `alarm`, migration 1764576000000). Every
 * raise, clear and acknowledgement changes its row and appends the event that
 * records it (type 'alarm') in one transaction (SqliteJournal): the event log
 * never shows an alarm change the table does not hold, or the other way round.
 * The same transaction appends the alarm's whole row to the outbox (kind
 * 'alarm'); the event's own outbox record comes with appendEvent.
 *
 * A condition is identified by (kind, subject); at most one occurrence of it
 * is uncleared at a time (a unique partial index says so too). Raising an
 * uncleared condition again changes nothing; clearing one with no uncleared
 * occurrence changes nothing; so the detectors may report a condition as often
 * as they see it.
 */
import type { AlarmDto, AlarmKind, AlarmSeverity } from '#libs/contracts';
import { appendEvent } from '../events/event-store.js';
import { appendRecord } from '../outbox/outbox-append.js';
import { addFilters, prepared } from '../events/sqlite-journal.js';
import type { SqliteConnection, SqliteJournal } from '../events/sqlite-journal.js';
import { AlarmAlreadyAcknowledgedError, UnknownAlarmError } from './alarm-errors.js';
import {
  acknowledge as ackTransition,
  alarmState,
  clear as clearTransition,
  stateCondition,
} from './alarm-state.js';
import type { AlarmStateFilter } from './alarm-state.js';

export interface AlarmCondition {
  kind: AlarmKind;
  subject: string;
  severity: AlarmSeverity;
  message: string;
  data?: Record<string, unknown>;
}

export interface AlarmListQuery {
  state: AlarmStateFilter;
  kind?: AlarmKind;
  subject?: string;
  limit: number;
}

interface Row {
  id: number;
  kind: string;
  subject: string;
  severity: string;
  message: string;
  data_json: string | null;
  raised_at: number;
  cleared_at: number | null;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  acknowledgement_comment: string | null;
}

export class AlarmStore {
  constructor(private readonly journal: SqliteJournal) {}

  /** The new occurrence, or null when the condition already has an uncleared one. */
  raise(c: AlarmCondition, source: string, now: number): Promise<AlarmDto | null> {
    return this.journal.write((conn) => {
      if (uncleared(conn, c.kind, c.subject)) return null;
      const data = c.data === undefined ? null : JSON.stringify(c.data);
      const r = prepared(
        conn,
        `INSERT INTO "alarm" ("kind", "subject", "severity", "message", "data_json", "raised_at") VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(c.kind, c.subject, c.severity, c.message, data, now);
      const alarm = toDto(byId(conn, Number(r.lastInsertRowid))!);
      appendRecord(conn, { kind: 'alarm', at: now, body: { ...alarm } });
      appendEvent(conn, alarmEvent(alarm, 'raised', source, `alarm raised: ${c.message}`), now);
      return alarm;
    });
  }

  /** The cleared occurrence, or null when the condition had none uncleared. */
  clear(
    kind: AlarmKind,
    subject: string,
    source: string,
    now: number,
    why?: string,
  ): Promise<AlarmDto | null> {
    return this.journal.write((conn) => {
      const row = uncleared(conn, kind, subject);
      if (!row || !clearTransition(instants(row)).ok) return null;
      prepared(conn, `UPDATE "alarm" SET "cleared_at" = ? WHERE "id" = ?`).run(now, row.id);
      const alarm = toDto(byId(conn, row.id)!);
      appendRecord(conn, { kind: 'alarm', at: now, body: { ...alarm } });
      const message = `alarm cleared: ${kind} ${subject}${why ? `: ${why}` : ''}`;
      appendEvent(conn, alarmEvent(alarm, 'cleared', source, message), now);
      return alarm;
    });
  }

  acknowledge(id: number, by: string, comment: string, now: number): Promise<AlarmDto> {
    return this.journal.write((conn) => {
      const row = byId(conn, id);
      if (!row) throw new UnknownAlarmError(String(id));
      const t = ackTransition(instants(row));
      if (!t.ok) throw new AlarmAlreadyAcknowledgedError(id, row.acknowledged_by!, row.acknowledged_at!);
      prepared(
        conn,
        `UPDATE "alarm" SET "acknowledged_at" = ?, "acknowledged_by" = ?, "acknowledgement_comment" = ? WHERE "id" = ?`,
      ).run(now, by, comment, id);
      const alarm = toDto(byId(conn, id)!);
      appendRecord(conn, { kind: 'alarm', at: now, body: { ...alarm } });
      const message = `alarm ${id} (${alarm.kind} ${alarm.subject}) acknowledged by ${by}: ${comment}`;
      appendEvent(
        conn,
        {
          ...alarmEvent(alarm, 'acknowledged', by, message),
          data: { ...eventData(alarm, 'acknowledged'), comment },
        },
        now,
      );
      return alarm;
    });
  }

  get(id: number): AlarmDto | undefined {
    const row = this.journal.read((conn) => byId(conn, id));
    return row && toDto(row);
  }

  /** Newest first. */
  list(q: AlarmListQuery): AlarmDto[] {
    const where = [stateCondition(q.state)];
    const params: unknown[] = [];
    addFilters(where, params, [
      ['kind', '=', q.kind],
      ['subject', '=', q.subject],
    ]);
    const sql = `SELECT * FROM "alarm" WHERE ${where.join(' AND ')} ORDER BY "id" DESC LIMIT ?`;
    return (this.journal.read((conn) => conn.prepare(sql).all(...params, q.limit)) as Row[]).map(toDto);
  }

  /** Every occurrence whose condition has not cleared, optionally of one kind. */
  uncleared(kind?: AlarmKind): AlarmDto[] {
    const sql = `SELECT * FROM "alarm" WHERE "cleared_at" IS NULL${kind ? ` AND "kind" = ?` : ''} ORDER BY "id"`;
    return (this.journal.read((conn) => conn.prepare(sql).all(...(kind ? [kind] : []))) as Row[]).map(toDto);
  }
}

function uncleared(conn: SqliteConnection, kind: string, subject: string): Row | undefined {
  return prepared(
    conn,
    `SELECT * FROM "alarm" WHERE "kind" = ? AND "subject" = ? AND "cleared_at" IS NULL`,
  ).get(kind, subject) as Row | undefined;
}

function byId(conn: SqliteConnection, id: number): Row | undefined {
  return prepared(conn, `SELECT * FROM "alarm" WHERE "id" = ?`).get(id) as Row | undefined;
}

const instants = (r: Row) => ({ clearedAt: r.cleared_at, acknowledgedAt: r.acknowledged_at });

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function toDto(r: Row): AlarmDto {
  return {
    id: r.id,
    kind: r.kind as AlarmKind,
    severity: r.severity as AlarmSeverity,
    subject: r.subject,
    message: r.message,
    state: alarmState(instants(r)),
    raisedAt: new Date(r.raised_at).toISOString(),
    clearedAt: iso(r.cleared_at),
    acknowledgedAt: iso(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    acknowledgementComment: r.acknowledgement_comment,
    data: r.data_json === null ? null : (JSON.parse(r.data_json) as Record<string, unknown>),
  };
}

type Action = 'raised' | 'cleared' | 'acknowledged';

function eventData(a: AlarmDto, action: Action): Record<string, unknown> {
  return { alarmId: a.id, kind: a.kind, severity: a.severity, action, state: a.state };
}

function alarmEvent(a: AlarmDto, action: Action, source: string, message: string) {
  return { type: 'alarm' as const, source, subject: a.subject, message, data: eventData(a, action) };
}
