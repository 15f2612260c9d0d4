/**
 * Bodies of PUT /schedules/{id} and PUT /calendars/{name}: checked against the
 * site schema's own definitions (libs/profiles/schema/site.schema.json, ajv),
 * so the API accepts exactly what a site file does. The id or name may be left
 * out (the path gives it); when given it must match the path.
 */
import { fieldName, siteDefinitionFindings } from '#libs/profiles';
import type { SiteDefinition } from '#libs/profiles';
import type { Calendar } from '#libs/schedules';
import type { ControllerSchedule } from '../configuration/configuration.port.js';
import { BodyError } from '../configuration/configuration-http.js';

function parsePart<T>(definition: SiteDefinition, key: 'id' | 'name', value: string, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new BodyError(`body: must be a ${definition} object`);
  const given = (body as Record<string, unknown>)[key];
  if (given !== undefined && given !== value)
    throw new BodyError(`${key}: ${JSON.stringify(given)} differs from "${value}" in the path`);
  const part = { ...(body as Record<string, unknown>), [key]: value };
  const findings = siteDefinitionFindings(definition, part);
  if (findings.length > 0)
    throw new BodyError(
      findings
        .map((f) => `${fieldName(f.path) === '' ? 'body' : fieldName(f.path)}: ${f.message}`)
        .join('; '),
    );
  return part as T;
}

export function parseScheduleBody(id: string, body: unknown): ControllerSchedule {
  return parsePart<ControllerSchedule>('schedule', 'id', id, body);
}

export function parseCalendarBody(name: string, body: unknown): Calendar {
  return parsePart<Calendar>('calendar', 'name', name, body);
}
