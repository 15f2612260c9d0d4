/**
 * The query string of GET /api/v1/events, checked before anything is read.
 * Errors name the parameter: `limit: must be an integer 1..1000`.
 */
import { EVENT_TYPES } from './event-sink.js';
import type { EventType } from './event-sink.js';
import { MAX_EVENTS_PER_PAGE } from './event-store.js';
import type { EventQuery } from './event-store.js';

export const DEFAULT_EVENTS_PER_PAGE = 100;

export class QueryError extends Error {
  override readonly name = 'QueryError';
}

const KNOWN = new Set(['type', 'subject', 'source', 'since', 'until', 'after', 'before', 'limit']);
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

export function parseEventQuery(raw: Record<string, unknown>): EventQuery {
  for (const name of Object.keys(raw))
    if (!KNOWN.has(name))
      throw new QueryError(`${name}: unknown parameter (known: ${[...KNOWN].join(', ')})`);
  const q: EventQuery = { limit: DEFAULT_EVENTS_PER_PAGE };
  const type = single(raw, 'type');
  if (type !== undefined) {
    const types = type.split(',').map((t) => t.trim());
    for (const t of types)
      if (!(EVENT_TYPES as readonly string[]).includes(t))
        throw new QueryError(`type: "${t}" is not one of ${EVENT_TYPES.join(', ')}`);
    q.types = types as EventType[];
  }
  const subject = single(raw, 'subject');
  if (subject !== undefined) q.subject = subject;
  const source = single(raw, 'source');
  if (source !== undefined) q.source = source;
  const since = instant(raw, 'since');
  if (since !== undefined) q.since = since;
  const until = instant(raw, 'until');
  if (until !== undefined) q.until = until;
  const after = integer(raw, 'after', 0, Number.MAX_SAFE_INTEGER);
  if (after !== undefined) q.after = after;
  const before = integer(raw, 'before', 1, Number.MAX_SAFE_INTEGER);
  if (before !== undefined) q.before = before;
  q.limit = integer(raw, 'limit', 1, MAX_EVENTS_PER_PAGE) ?? DEFAULT_EVENTS_PER_PAGE;
  return q;
}

function single(raw: Record<string, unknown>, name: string): string | undefined {
  const v = raw[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new QueryError(`${name}: give it once, as a plain value`);
  if (v === '') throw new QueryError(`${name}: must not be empty`);
  return v;
}

function instant(raw: Record<string, unknown>, name: string): number | undefined {
  const v = single(raw, name);
  if (v === undefined) return undefined;
  const ms = ISO_INSTANT.test(v) ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(ms))
    throw new QueryError(`${name}: "${v}" is not an ISO 8601 instant such as 2025-06-01T08:00:00Z`);
  return ms;
}

function integer(raw: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const v = single(raw, name);
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new QueryError(
      `${name}: "${v}" must be an integer ${min}..${max === Number.MAX_SAFE_INTEGER ? '' : max}`,
    );
  return n;
}
