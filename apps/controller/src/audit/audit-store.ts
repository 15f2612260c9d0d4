/**
 * The controller's audit log on the append-only `audit` table (migration
 * 1764921600000). `append` writes the entry and its 'audit' outbox record in
 * one SQLite transaction through the shared SqliteJournal, and resolves once
 * both are committed; there is no update or delete (the table's triggers
 * refuse them too). `appendAudit` lets a store write the entry inside the
 * transaction of the change it records (the command store does: PendingAudit).
 *
 * Reading (GET /api/v1/audit) is by id, the append order: newest first by
 * default; with `after` oldest first from there, so a reader pages forward
 * without missing or repeating an entry.
 */
import type { AuditBody } from '#libs/sync';
import { appendRecord } from '../outbox/outbox-append.js';
import { addFilters, prepared } from '../events/sqlite-journal.js';
import type { SqliteConnection, SqliteJournal } from '../events/sqlite-journal.js';

export const MAX_AUDIT_PER_PAGE = 1000;

export interface NewAuditEntry {
  /** Epoch ms. */
  at: number;
  actor: string;
  method: string;
  /** The route as declared, e.g. `/api/v1/points/:id/commands`. */
  route: string;
  /** The path as requested, e.g. `/api/v1/points/ahu-1.sat-sp/commands`. */
  path: string;
  /** What was acted on, e.g. `points/ahu-1.sat-sp`, `schedules/occupancy`. */
  target: string;
  /** The HTTP status answered (refusals included). */
  status: number;
  /** The status's reason phrase, as in the problem details' title. */
  title: string;
  /** The problem details' detail of a refusal; absent on success. */
  detail?: string;
  before?: unknown;
  after?: unknown;
}

/** The columns stored as they came; `at`, `detail`, `before` and `after` change form on the way. */
type AuditColumns = Omit<NewAuditEntry, 'at' | 'detail' | 'before' | 'after'>;

export interface AuditEntryDto extends AuditColumns {
  id: number;
  at: string;
  detail: string | null;
  before: unknown;
  after: unknown;
}

export interface AuditQuery {
  actor?: string;
  target?: string;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  /** Ids strictly above this, oldest first. */
  after?: number;
  limit: number;
}

interface Row extends AuditColumns {
  id: number;
  at: number;
  detail: string | null;
  before_json: string | null;
  after_json: string | null;
}

/**
 * The wire body. AuditBody has no outcome field and the cloud refuses unknown
 * ones, so the outcome travels in `action`: `PUT /api/v1/schedules/x -> 422 Unprocessable Entity`.
 */
export function auditBody(e: NewAuditEntry): AuditBody {
  const body: AuditBody = {
    actor: e.actor,
    action: `${e.method} ${e.path} -> ${e.status} ${e.title}`,
    target: e.target,
  };
  if (e.before !== undefined) body.before = e.before;
  if (e.after !== undefined) body.after = e.after;
  return body;
}

/** Appends one entry inside the caller's transaction, with its outbox record; returns its id. */
export function appendAudit(conn: SqliteConnection, e: NewAuditEntry): number {
  const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
  const r = prepared(
    conn,
    `INSERT INTO "audit" ("at", "actor", "method", "route", "path", "target", "status", "title", "detail", "before_json", "after_json")
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    e.at,
    e.actor,
    e.method,
    e.route,
    e.path,
    e.target,
    e.status,
    e.title,
    e.detail ?? null,
    json(e.before),
    json(e.after),
  );
  appendRecord(conn, { kind: 'audit', at: e.at, body: auditBody(e) });
  return Number(r.lastInsertRowid);
}

export class AuditStore {
  constructor(private readonly journal: SqliteJournal) {}

  /** Resolves with the entry's id once it and its outbox record are committed. */
  append(entry: NewAuditEntry): Promise<number> {
    return this.journal.write((conn) => appendAudit(conn, entry));
  }

  list(q: AuditQuery): AuditEntryDto[] {
    const where: string[] = [];
    const params: unknown[] = [];
    addFilters(where, params, [
      ['actor', '=', q.actor],
      ['target', '=', q.target],
      ['at', '>=', q.since],
      ['at', '<', q.until],
      ['id', '>', q.after],
    ]);
    const order = q.after !== undefined ? 'ASC' : 'DESC';
    const sql = `SELECT * FROM "audit"${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY "id" ${order} LIMIT ?`;
    const rows = this.journal.read((conn) => conn.prepare(sql).all(...params, q.limit)) as Row[];
    return rows.map(toDto);
  }
}

function toDto(r: Row): AuditEntryDto {
  const parse = (s: string | null): unknown => (s === null ? null : JSON.parse(s));
  return {
    id: r.id,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    method: r.method,
    route: r.route,
    path: r.path,
    target: r.target,
    status: r.status,
    title: r.title,
    detail: r.detail,
    before: parse(r.before_json),
    after: parse(r.after_json),
  };
}
