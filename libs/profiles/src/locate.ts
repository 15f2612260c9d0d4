/**
 * Turns a finding (data path + message) into a ValidationIssue: the line of
 * the node, the point or device the path runs through, and the field inside it.
 */
import type { ValidationIssue } from './issues.js';
import type { Finding } from './schema-check.js';
import type { DataPath, YamlSource } from './yaml-source.js';

/** Which list holds the named items: a profile's points or a site's devices. */
export type ItemList = 'points' | 'devices';

export function locate(
  file: string,
  source: YamlSource,
  data: unknown,
  list: ItemList,
  finding: Finding,
): ValidationIssue {
  const issue: ValidationIssue = { file, field: '', message: finding.message };
  const line = source.lineAt(finding.path);
  if (line !== undefined) issue.line = line;

  const [head, index, ...rest] = finding.path;
  const id = head === list && typeof index === 'number' ? itemId(data, list, index) : undefined;
  const section = typeof head === 'string' ? SECTION_ITEMS[head] : undefined;
  const named =
    section !== undefined && typeof index === 'number'
      ? itemKey(data, head as string, index, section.key)
      : undefined;
  if (section !== undefined && named !== undefined) {
    issue.item = `${section.label} "${named}"`;
    issue.field = fieldName(rest);
  } else if (id !== undefined) {
    if (list === 'points') issue.pointId = id;
    else issue.deviceId = id;
    issue.field = fieldName(rest);
  } else {
    issue.field = fieldName(finding.path);
  }
  return issue;
}

/** ['modbus', 'address'] -> 'modbus.address'; ['points', 3, 'id'] -> 'points[3].id'. */
export function fieldName(path: DataPath): string {
  let name = '';
  for (const segment of path) {
    if (typeof segment === 'number') name += `[${segment}]`;
    else name += name === '' ? segment : `.${segment}`;
  }
  return name;
}

/** Site sections whose items an issue names (besides devices): the label and the key that names an item. */
const SECTION_ITEMS: Record<string, { label: string; key: string } | undefined> = {
  calendars: { label: 'calendar', key: 'name' },
  schedules: { label: 'schedule', key: 'id' },
  interlocks: { label: 'interlock', key: 'id' },
};

function itemId(data: unknown, list: ItemList, index: number): string | undefined {
  return itemKey(data, list, index, 'id');
}

function itemKey(data: unknown, list: string, index: number, key: string): string | undefined {
  const items = (data as Record<string, unknown> | null)?.[list];
  if (!Array.isArray(items)) return undefined;
  const id = (items[index] as Record<string, unknown> | null | undefined)?.[key];
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * Which parts of a document the schema rejected. The semantic checks run only
 * when the top level is sound, and then only over items without schema
 * findings, so they can rely on every field's type.
 */
export function schemaDamage(
  findings: readonly Finding[],
  list: ItemList,
): { topLevel: boolean; items: Set<number> } {
  const items = new Set<number>();
  let topLevel = false;
  for (const { path } of findings) {
    if (path[0] === list && typeof path[1] === 'number') items.add(path[1]);
    else topLevel = true;
  }
  return { topLevel, items };
}
