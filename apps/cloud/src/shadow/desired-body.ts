/**
 * The body of PUT /api/v1/controllers/{id}/desired, checked field by field so
 * a refusal names what was wrong (400 problem details, nothing written):
 * { commands: [{point, value, leaseMs?, leaseId?}], configuration?: {schedules?, calendars?} }.
 * A command without leaseId gets a fresh one; leaseMs defaults to 5 minutes
 * and may not exceed 15 (libs/priority DEFAULT_MAX_LEASE_MS).
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_MAX_LEASE_MS } from '#libs/priority';
import type { DesiredCommand, DesiredState } from '#libs/sync';
import { Problem } from '../common/problem.js';

export const DEFAULT_LEASE_MS = 5 * 60_000;
const POINT = /^[A-Za-z0-9_.-]{1,200}$/;

export type DesiredBody = Omit<DesiredState, 'version'>;

export function parseDesiredBody(body: unknown, newLeaseId: () => string = randomUUID): DesiredBody {
  const o = objectOf(body, 'body');
  for (const key of Object.keys(o))
    if (key !== 'commands' && key !== 'configuration') bad(`${key}: unknown field (commands, configuration)`);
  if (!Array.isArray(o.commands)) bad('commands: must be an array');
  const seen = new Set<string>();
  const commands = (o.commands as unknown[]).map((raw, i): DesiredCommand => {
    const c = objectOf(raw, `commands[${i}]`);
    for (const key of Object.keys(c))
      if (!['point', 'value', 'leaseMs', 'leaseId'].includes(key))
        bad(`commands[${i}].${key}: unknown field`);
    if (typeof c.point !== 'string' || !POINT.test(c.point) || !c.point.includes('.'))
      bad(`commands[${i}].point: must be "device.point", got ${JSON.stringify(c.point)}`);
    if (seen.has(c.point)) bad(`commands[${i}].point: "${c.point}" is commanded twice`);
    seen.add(c.point);
    if (typeof c.value !== 'number' || !Number.isFinite(c.value))
      bad(`commands[${i}].value: must be a finite number, got ${JSON.stringify(c.value)}`);
    const leaseMs = c.leaseMs ?? DEFAULT_LEASE_MS;
    if (
      typeof leaseMs !== 'number' ||
      !Number.isInteger(leaseMs) ||
      leaseMs < 1000 ||
      leaseMs > DEFAULT_MAX_LEASE_MS
    )
      bad(
        `commands[${i}].leaseMs: must be an integer from 1000 to ${DEFAULT_MAX_LEASE_MS}, got ${JSON.stringify(c.leaseMs)}`,
      );
    if (c.leaseId !== undefined && (typeof c.leaseId !== 'string' || !/^[\w.:-]{1,100}$/.test(c.leaseId)))
      bad(`commands[${i}].leaseId: must be 1 to 100 letters, digits, '_', '.', ':' or '-'`);
    return {
      point: c.point,
      value: c.value,
      leaseMs,
      leaseId: c.leaseId ?? newLeaseId(),
    };
  });
  let configuration: DesiredBody['configuration'];
  if (o.configuration !== undefined) {
    const cfg = objectOf(o.configuration, 'configuration');
    for (const key of Object.keys(cfg))
      if (key !== 'schedules' && key !== 'calendars')
        bad(`configuration.${key}: unknown field (schedules, calendars)`);
    configuration = {};
    if (cfg.schedules !== undefined)
      configuration.schedules = objectOf(cfg.schedules, 'configuration.schedules');
    if (cfg.calendars !== undefined)
      configuration.calendars = objectOf(cfg.calendars, 'configuration.calendars');
  }
  return { commands, ...(configuration ? { configuration } : {}) };
}

function objectOf(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    bad(`${what}: must be a JSON object`);
  return value as Record<string, unknown>;
}

function bad(detail: string): never {
  throw new Problem(400, 'invalid-desired-state', detail);
}
