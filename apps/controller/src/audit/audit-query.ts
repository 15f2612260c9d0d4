/**
 * The query string of GET /api/v1/audit, checked before anything is read.
 * Errors name the parameter: `limit: "5000" must be an integer 1..1000`.
 */
import { MAX_AUDIT_PER_PAGE } from './audit-store.js';
import type { AuditQuery } from './audit-store.js';

export const DEFAULT_AUDIT_PER_PAGE = 100;

export class AuditQueryError extends Error {
  override readonly name = 'AuditQueryError';
}

const KNOWN = new Set(['actor', 'target', 'since', 'until', 'after', 'limit']);
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

export function parseAuditQuery(raw: Record<string, unknown>): AuditQuery {
  for (const name of Object.keys(raw))
    if (!KNOWN.has(name))
      throw new AuditQueryError(`${name}: unknown parameter (known: ${[...KNOWN].join(', ')})`);
  const q: AuditQuery = { limit: DEFAULT_AUDIT_PER_PAGE };
  const actor = single(raw, 'actor');
  if (actor !== undefined) q.actor = actor;
  const target = single(raw, 'target');
  if (target !== undefined) q.target = target;
  const since = instant(raw, 'since');
  if (since !== undefined) q.since = since;
  const until = instant(raw, 'until');
  if (until !== undefined) q.until = until;
  if (since !== undefined && until !== undefined && until <= since)
    throw new AuditQueryError(`until: must be after since`);
  const after = integer(raw, 'after', 0, Number.MAX_SAFE_INTEGER);
  if (after !== undefined) q.after = after;
  q.limit = integer(raw, 'limit', 1, MAX_AUDIT_PER_PAGE) ?? DEFAULT_AUDIT_PER_PAGE;
  return q;
}

function single(raw: Record<string, unknown>, name: string): string | undefined {
  const v = raw[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new AuditQueryError(`${name}: give it once, as a plain value`);
  if (v === '') throw new AuditQueryError(`${name}: must not be empty`);
  return v;
}

function instant(raw: Record<string, unknown>, name: string): number | undefined {
  const v = single(raw, name);
  if (v === undefined) return undefined;
  const ms = ISO_INSTANT.test(v) ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(ms))
    throw new AuditQueryError(`${name}: "${v}" is not an ISO 8601 instant such as 2025-06-01T08:00:00Z`);
  return ms;
}

function integer(raw: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const v = single(raw, name);
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new AuditQueryError(
      `${name}: "${v}" must be an integer ${min}..${max === Number.MAX_SAFE_INTEGER ? '' : max}`,
    );
  return n;
}
