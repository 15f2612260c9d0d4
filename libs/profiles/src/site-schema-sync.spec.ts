/**
 * The rule language has one definition, libs/rules/schema/rules.schema.json;
 * the site schema carries a verbatim copy of its definitions so that editors
 * load one file (every $ref internal). This test keeps the copy true: when it
 * fails, copy the rules schema's definitions into site.schema.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { findRepoRoot } from './index.js';

type Schema = { items?: unknown; definitions: Record<string, unknown>; properties: Record<string, unknown> };
const read = (...parts: string[]): Schema =>
  JSON.parse(fs.readFileSync(path.join(findRepoRoot(), ...parts), 'utf8')) as Schema;

describe('site schema and rules schema', () => {
  const rules = read('libs', 'rules', 'schema', 'rules.schema.json');
  const site = read('libs', 'profiles', 'schema', 'site.schema.json');

  it.each(Object.keys(rules.definitions))(
    'site.schema.json holds the rules definition "%s" verbatim',
    (name) => {
      expect(site.definitions[name]).toEqual(rules.definitions[name]);
    },
  );

  it('types `interlocks` as the rules schema types its document', () => {
    expect((site.properties.interlocks as { items: unknown }).items).toEqual(rules.items);
  });
});
