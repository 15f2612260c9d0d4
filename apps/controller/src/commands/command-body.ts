/**
 * The command body, validated with ajv (JSON Schema 2020-12) before anything
 * is touched. Errors name the field: `priority: must be <= 16`.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject } from 'ajv';
import type { CommandRequestDto } from '#libs/contracts';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['value'],
  properties: {
    value: { type: 'number' },
    priority: { type: 'integer', minimum: 1, maximum: 16 },
    expiresAt: { type: 'string', format: 'date-time' },
  },
} as const;

const ajv = new Ajv2020({ allErrors: false, strict: true });
// RFC 3339 date-time, checked by Date.parse plus a shape test: ajv-formats is not installed.
ajv.addFormat('date-time', {
  type: 'string',
  validate: (s: string) =>
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(s) &&
    !Number.isNaN(Date.parse(s)),
});
const validate = ajv.compile<CommandRequestDto>(schema);

export class BodyError extends Error {
  override readonly name = 'BodyError';
}

export interface ParsedCommand {
  value: number;
  priority: number;
  expiresAt?: number;
}

/** Checks the body's shape and that expiresAt lies after `now`; throws BodyError naming the field. */
export function parseCommandBody(body: unknown, now: number, defaultPriority: number): ParsedCommand {
  if (!validate(body)) throw new BodyError(describe(validate.errors?.[0]));
  const parsed: ParsedCommand = { value: body.value, priority: body.priority ?? defaultPriority };
  if (body.expiresAt !== undefined) {
    const at = Date.parse(body.expiresAt);
    if (at <= now) throw new BodyError(`expiresAt: ${body.expiresAt} is not in the future`);
    parsed.expiresAt = at;
  }
  return parsed;
}

function describe(e: ErrorObject | undefined): string {
  if (!e) return 'body: invalid';
  if (e.keyword === 'additionalProperties')
    return `${String((e.params as { additionalProperty: string }).additionalProperty)}: unknown field`;
  if (e.keyword === 'required')
    return `${String((e.params as { missingProperty: string }).missingProperty)}: is required`;
  const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'body';
  return `${field}: ${e.message ?? 'invalid'}`;
}
