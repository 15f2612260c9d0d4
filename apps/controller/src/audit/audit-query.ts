/**
 * The query string of GET /api/v1/audit, checked before anything is read.
 * Errors name the parameter: `limit: "5000" must be an integer 1..1000`.
 */
import { ListQueryReader, QueryError } from '../common/list-query.js';
import { MAX_AUDIT_PER_PAGE } from './audit-store.js';
import type { AuditQuery } from './audit-store.js';

export const DEFAULT_AUDIT_PER_PAGE = 100;

const KNOWN = ['actor', 'target', 'since', 'until', 'after', 'limit'];

export function parseAuditQuery(raw: Record<string, unknown>): AuditQuery {
  const read = new ListQueryReader(raw, KNOWN);
  const q: AuditQuery = { limit: DEFAULT_AUDIT_PER_PAGE };
  const actor = read.text('actor');
  if (actor !== undefined) q.actor = actor;
  const target = read.text('target');
  if (target !== undefined) q.target = target;
  const since = read.instant('since');
  if (since !== undefined) q.since = since;
  const until = read.instant('until');
  if (until !== undefined) q.until = until;
  if (since !== undefined && until !== undefined && until <= since)
    throw new QueryError(`until: must be after since`);
  const after = read.integer('after', 0, Number.MAX_SAFE_INTEGER);
  if (after !== undefined) q.after = after;
  q.limit = read.integer('limit', 1, MAX_AUDIT_PER_PAGE) ?? DEFAULT_AUDIT_PER_PAGE;
  return q;
}
