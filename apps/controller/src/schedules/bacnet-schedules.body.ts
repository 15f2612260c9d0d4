/**
 * Bodies of the schedule import/export routes, validated with ajv before
 * anything is touched. Errors name the field: `instance: must be <= 4194302`.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject } from 'ajv';
import type { ScheduleExport, ScheduleImport } from './bacnet-schedules.service.js';

const instance = { type: 'integer', minimum: 0, maximum: 4194302 } as const;
const device = { type: 'string', minLength: 1 } as const;
/** Calendar name → Calendar object instance on the device. */
const calendars = { type: 'object', additionalProperties: instance } as const;
const valueType = { enum: ['real', 'double', 'unsigned', 'signed', 'enumerated', 'boolean'] } as const;

const schemas = {
  scheduleExport: {
    type: 'object',
    additionalProperties: false,
    required: ['device', 'instance'],
    properties: { device, instance, calendars, valueType },
  },
  scheduleImport: {
    type: 'object',
    additionalProperties: false,
    required: ['device', 'instance', 'id'],
    properties: {
      device,
      instance,
      id: { type: 'string', minLength: 1 },
      calendars,
      kind: { enum: ['local', 'fallback'] },
      targets: { type: 'array', items: { type: 'string', minLength: 1 } },
    },
  },
  calendarExport: {
    type: 'object',
    additionalProperties: false,
    required: ['device', 'instance'],
    properties: { device, instance },
  },
  calendarImport: {
    type: 'object',
    additionalProperties: false,
    required: ['device', 'instance'],
    properties: { device, instance, id: { type: 'string', minLength: 1 } },
  },
} as const;

const ajv = new Ajv2020({ allErrors: false, strict: true });
const validators = {
  scheduleExport: ajv.compile<ScheduleExport>(schemas.scheduleExport),
  scheduleImport: ajv.compile<ScheduleImport>(schemas.scheduleImport),
  calendarExport: ajv.compile<{ device: string; instance: number }>(schemas.calendarExport),
  calendarImport: ajv.compile<{ device: string; instance: number; id?: string }>(schemas.calendarImport),
};

export class TransferBodyError extends Error {
  override readonly name = 'TransferBodyError';
}

type Validator<T> = ((b: unknown) => b is T) & { errors?: ErrorObject[] | null };

function parse<T>(validate: Validator<T>, body: unknown): T {
  if (!validate(body)) throw new TransferBodyError(describe(validate.errors?.[0]));
  return body;
}

/** Throws TransferBodyError naming the first field that is wrong. */
export function parseTransferBody<K extends keyof BodyOf>(kind: K, body: unknown): BodyOf[K] {
  return parse(validators[kind] as Validator<BodyOf[K]>, body);
}

interface BodyOf {
  scheduleExport: ScheduleExport;
  scheduleImport: ScheduleImport;
  calendarExport: { device: string; instance: number };
  calendarImport: { device: string; instance: number; id?: string };
}

function describe(e: ErrorObject | undefined): string {
  if (!e) return 'body: invalid';
  if (e.keyword === 'additionalProperties' && e.instancePath === '')
    return `${String((e.params as { additionalProperty: string }).additionalProperty)}: unknown field`;
  if (e.keyword === 'required')
    return `${String((e.params as { missingProperty: string }).missingProperty)}: is required`;
  const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'body';
  return `${field}: ${e.message ?? 'invalid'}`;
}
