/**
 * The query string of GET /api/v1/events, checked before anything is read.
 * Errors name the parameter: `limit: must be an integer 1..1000`.
 */
import { ListQueryReader, QueryError } from '../common/list-query.js';
import { EVENT_TYPES } from './event-sink.js';
import type { EventType } from './event-sink.js';
import { MAX_EVENTS_PER_PAGE } from './event-store.js';
import type { EventQuery } from './event-store.js';

export const DEFAULT_EVENTS_PER_PAGE = 100;

const KNOWN = ['type', 'subject', 'source', 'since', 'until', 'after', 'before', 'limit'];

export function parseEventQuery(raw: Record<string, unknown>): EventQuery {
  const read = new ListQueryReader(raw, KNOWN);
  const q: EventQuery = { limit: DEFAULT_EVENTS_PER_PAGE };
  const type = read.text('type');
  if (type !== undefined) {
    const types = type.split(',').map((t) => t.trim());
    for (const t of types)
      if (!(EVENT_TYPES as readonly string[]).includes(t))
        throw new QueryError(`type: "${t}" is not one of ${EVENT_TYPES.join(', ')}`);
    q.types = types as EventType[];
  }
  const subject = read.text('subject');
  if (subject !== undefined) q.subject = subject;
  const source = read.text('source');
  if (source !== undefined) q.source = source;
  const since = read.instant('since');
  if (since !== undefined) q.since = since;
  const until = read.instant('until');
  if (until !== undefined) q.until = until;
  const after = read.integer('after', 0, Number.MAX_SAFE_INTEGER);
  if (after !== undefined) q.after = after;
  const before = read.integer('before', 1, Number.MAX_SAFE_INTEGER);
  if (before !== undefined) q.before = before;
  q.limit = read.integer('limit', 1, MAX_EVENTS_PER_PAGE) ?? DEFAULT_EVENTS_PER_PAGE;
  return q;
}
