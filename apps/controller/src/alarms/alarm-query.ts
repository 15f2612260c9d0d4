/**
 * Input of the alarm API, checked before anything is read or changed: the
 * query of GET /api/v1/alarms (400 naming the parameter) and the body of an
 * acknowledgement (422 naming the field: it must carry a person and a comment).
 */
import type { AlarmAcknowledgeRequestDto, AlarmKind } from '#libs/contracts';
import { AlarmRequestError } from './alarm-errors.js';
import { ALARM_STATE_FILTERS } from './alarm-state.js';
import type { AlarmStateFilter } from './alarm-state.js';
import type { AlarmListQuery } from './alarm-store.js';

export const ALARM_KINDS: readonly AlarmKind[] = [
  'comm-fail',
  'limit-high',
  'limit-low',
  'write-failed',
  'schedule-ending',
  'schedule-no-transitions',
  'outbox-near-cap',
  'sync-record-too-large',
];
export const MAX_ALARMS_PER_PAGE = 1000;
const DEFAULT_ALARMS_PER_PAGE = 100;
const MAX_BY = 200;
const MAX_COMMENT = 2000;

export class AlarmQueryError extends Error {
  override readonly name = 'AlarmQueryError';
}

export function parseAlarmQuery(raw: Record<string, unknown>): AlarmListQuery {
  const known = ['state', 'kind', 'subject', 'limit'];
  for (const name of Object.keys(raw))
    if (!known.includes(name))
      throw new AlarmQueryError(`${name}: unknown parameter (known: ${known.join(', ')})`);
  const text = (name: string): string | undefined => {
    const v = raw[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '')
      throw new AlarmQueryError(`${name}: give it once, as a non-empty value`);
    return v;
  };
  const q: AlarmListQuery = { state: 'open', limit: DEFAULT_ALARMS_PER_PAGE };
  const state = text('state');
  if (state !== undefined) {
    if (!(ALARM_STATE_FILTERS as readonly string[]).includes(state))
      throw new AlarmQueryError(`state: "${state}" is not one of ${ALARM_STATE_FILTERS.join(', ')}`);
    q.state = state as AlarmStateFilter;
  }
  const kind = text('kind');
  if (kind !== undefined) {
    if (!(ALARM_KINDS as readonly string[]).includes(kind))
      throw new AlarmQueryError(`kind: "${kind}" is not one of ${ALARM_KINDS.join(', ')}`);
    q.kind = kind as AlarmKind;
  }
  const subject = text('subject');
  if (subject !== undefined) q.subject = subject;
  const limit = text('limit');
  if (limit !== undefined) {
    const n = /^\d+$/.test(limit) ? Number(limit) : Number.NaN;
    if (!(n >= 1 && n <= MAX_ALARMS_PER_PAGE))
      throw new AlarmQueryError(`limit: "${limit}" must be an integer 1..${MAX_ALARMS_PER_PAGE}`);
    q.limit = n;
  }
  return q;
}

/** A positive integer id, else null (the caller answers 404: no such alarm). */
export function parseAlarmId(raw: string): number | null {
  const n = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : Number.NaN;
  return Number.isSafeInteger(n) ? n : null;
}

export function parseAcknowledgement(body: unknown): AlarmAcknowledgeRequestDto {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new AlarmRequestError('body: must be a JSON object with "by" and "comment"');
  const b = body as Record<string, unknown>;
  for (const name of Object.keys(b))
    if (name !== 'by' && name !== 'comment') throw new AlarmRequestError(`${name}: unknown field`);
  const field = (name: 'by' | 'comment', max: number, what: string): string => {
    const v = b[name];
    if (v === undefined) throw new AlarmRequestError(`${name}: is required (${what})`);
    if (typeof v !== 'string') throw new AlarmRequestError(`${name}: must be a string (${what})`);
    const t = v.trim();
    if (t === '') throw new AlarmRequestError(`${name}: must not be empty (${what})`);
    if (t.length > max) throw new AlarmRequestError(`${name}: longer than ${max} characters`);
    return t;
  };
  return {
    by: field('by', MAX_BY, 'the person acknowledging'),
    comment: field('comment', MAX_COMMENT, 'what was seen or done'),
  };
}
