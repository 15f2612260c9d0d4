/** The body of POST /api/v1/sync/reported (libs/sync ReportedState), checked before it is stored. */
import type { ReportedState } from '#libs/sync';
import { Problem } from '../common/problem.js';

const MODES = ['CONNECTED', 'DEGRADED', 'AUTONOMOUS'];

export function parseReported(body: unknown): ReportedState {
  const o = body as Partial<ReportedState> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) bad('body: must be a JSON object');
  if (typeof o.appliedVersion !== 'number' || !Number.isInteger(o.appliedVersion) || o.appliedVersion < 0)
    bad(`appliedVersion: must be a whole number, got ${JSON.stringify(o.appliedVersion)}`);
  if (typeof o.mode !== 'string' || !MODES.includes(o.mode)) bad(`mode: must be one of ${MODES.join(', ')}`);
  if (typeof o.points !== 'object' || o.points === null || Array.isArray(o.points))
    bad('points: must be an object');
  for (const [point, p] of Object.entries(o.points)) {
    if (typeof p !== 'object' || p === null) bad(`points.${point}: must be an object`);
    if (p.value !== null && typeof p.value !== 'number')
      bad(`points.${point}.value: must be a number or null`);
    if (p.priority !== null && !(Number.isInteger(p.priority) && p.priority >= 1 && p.priority <= 16))
      bad(`points.${point}.priority: must be 1..16 or null`);
    if (typeof p.source !== 'string') bad(`points.${point}.source: must be a string`);
  }
  if (o.notes !== undefined) {
    if (!Array.isArray(o.notes)) bad('notes: must be an array');
    o.notes.forEach((n, i) => {
      if (typeof n?.point !== 'string' || typeof n.reason !== 'string')
        bad(`notes[${i}]: must have string point and reason`);
    });
  }
  return o as ReportedState;
}

function bad(detail: string): never {
  throw new Problem(400, 'invalid-reported-state', detail);
}
