/** Request bodies checked with ajv (JSON Schema 2020-12) before anything is touched; errors name the field. */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject } from 'ajv';
import { BodyError } from './configuration-http.js';

const ajv = new Ajv2020({ allErrors: false, strict: true });

export function bodyParser<T>(schema: object): (body: unknown) => T {
  const validate = ajv.compile<T>(schema);
  return (body) => {
    if (!validate(body)) throw new BodyError(describe(validate.errors?.[0]));
    return body;
  };
}

function describe(e: ErrorObject | undefined): string {
  if (!e) return 'body: invalid';
  const at = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const prefix = at === '' ? '' : `${at}.`;
  if (e.keyword === 'additionalProperties')
    return `${prefix}${String((e.params as { additionalProperty: string }).additionalProperty)}: unknown field`;
  if (e.keyword === 'required')
    return `${prefix}${String((e.params as { missingProperty: string }).missingProperty)}: is required`;
  return `${at || 'body'}: ${e.message ?? 'invalid'}`;
}
