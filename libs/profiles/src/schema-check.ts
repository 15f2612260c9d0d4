/**
 * JSON Schema validation (libs/profiles/schema/*.json, draft-07 so editors'
 * yaml-language-server reads them too) and the translation of ajv's errors into
 * located, readable findings.
 */
import fs from 'node:fs';
import path from 'node:path';
import AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { schemaDirectory } from './repo-root.js';
import type { DataPath, PathSegment } from './yaml-source.js';

// ajv is CommonJS with exports.default (STACK.md): the class is the module's `.default`.
const Ajv = AjvModule.default;

export type SchemaName = 'profile' | 'site';

/** A problem before it is located: the data path it is about and what is wrong. */
export interface Finding {
  path: DataPath;
  message: string;
}

interface Compiled {
  validate: ValidateFunction;
  schema: unknown;
  ajv: InstanceType<typeof Ajv>;
}

const validators = new Map<SchemaName, Compiled>();

export function loadSchema(name: SchemaName): unknown {
  const file = path.join(schemaDirectory(), `${name}.schema.json`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
}

function validatorFor(name: SchemaName): Compiled {
  let entry = validators.get(name);
  if (entry === undefined) {
    const schema = loadSchema(name);
    // strictTypes/strictRequired off: the if/then branches refine properties declared elsewhere.
    const ajv = new Ajv({
      allErrors: true,
      verbose: true,
      strict: true,
      strictTypes: false,
      strictRequired: false,
    });
    entry = { validate: ajv.compile(schema as object), schema, ajv };
    validators.set(name, entry);
  }
  return entry;
}

export function schemaFindings(name: SchemaName, data: unknown): Finding[] {
  const { validate, schema } = validatorFor(name);
  return findingsOf(validate, schema, data);
}

/** Parts of a site a person can send on their own (an API body): checked against the site schema's definition. */
export type SiteDefinition = 'schedule' | 'calendar';

/** Findings for one schedule or calendar against `#/definitions/<definition>` of the site schema. */
export function siteDefinitionFindings(definition: SiteDefinition, data: unknown): Finding[] {
  const { ajv, schema } = validatorFor('site');
  const id = (schema as { $id: string }).$id;
  const validate = ajv.getSchema(`${id}#/definitions/${definition}`);
  if (validate === undefined) throw new Error(`site schema has no definition "${definition}"`);
  return findingsOf(validate, schema, data);
}

function findingsOf(validate: ValidateFunction, schema: unknown, data: unknown): Finding[] {
  if (validate(data)) return [];
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const finding = toFinding(error, data, schema);
    if (finding === undefined) continue;
    const key = `${finding.path.join('/')}\u0000${finding.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push(finding);
  }
  return findings;
}

function toFinding(error: ErrorObject, data: unknown, schema: unknown): Finding | undefined {
  const at = splitPointer(error.instancePath, data);
  const context = conditionComment(error.schemaPath, schema);
  const suffix = context === undefined ? '' : ` ${context}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'if': // the failing "then" branch reports its own errors
    case 'propertyNames': // the failing name's pattern error carries the detail
      return undefined;
    case 'required':
      return { path: [...at, String(params.missingProperty)], message: `is required${suffix}` };
    case 'additionalProperties': {
      const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      return {
        path: [...at, String(params.additionalProperty)],
        message: `is not a known field (known: ${allowed.join(', ')})`,
      };
    }
    case 'false schema':
      return { path: at, message: `is not allowed${suffix === '' ? ' here' : suffix}` };
    case 'enum':
      return {
        path: at,
        message: `${shown(error.data)} is not allowed${suffix}: must be one of ${(params.allowedValues as unknown[]).join(', ')}`,
      };
    case 'const':
      return { path: at, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'pattern':
      if (error.propertyName !== undefined) {
        return {
          path: [...at, error.propertyName],
          message: `key "${error.propertyName}" must match ${String(params.pattern)}`,
        };
      }
      return { path: at, message: `${shown(error.data)} must match ${String(params.pattern)}` };
    case 'type':
      return { path: at, message: `must be ${article(String(params.type))}, not ${shown(error.data)}` };
    default:
      return { path: at, message: `${error.message ?? 'is invalid'}${suffix}` };
  }
}

/** `/points/3/modbus/address` -> ['points', 3, 'modbus', 'address'] (numbers where the data is an array). */
export function splitPointer(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return [];
  const segments: PathSegment[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const text = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment = Array.isArray(node) && /^\d+$/.test(text) ? Number(text) : text;
    segments.push(segment);
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[text] : undefined;
  }
  return segments;
}

/** The `$comment` of the nearest enclosing `then` branch ("in a modbus profile"), to explain conditional rules. */
function conditionComment(schemaPath: string, schema: unknown): string | undefined {
  const parts = schemaPath.replace(/^#\//, '').split('/');
  let node = schema;
  let comment: string | undefined;
  for (const part of parts) {
    if (node === null || typeof node !== 'object') break;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (part === 'then' && node !== null && typeof node === 'object') {
      const text = (node as { $comment?: unknown }).$comment;
      if (typeof text === 'string') comment = text;
    }
  }
  return comment;
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'a mapping';
  return JSON.stringify(value);
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
