/** The profiles:validate command, run in-process against the fixtures. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findRepoRoot, runValidateCli } from './index.js';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');
const rel = (...parts: string[]) => path.relative(process.cwd(), path.join(FIXTURES, ...parts));

function run(args: string[], repoRoot?: string): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = runValidateCli(args, { out: (line) => lines.push(line), repoRoot });
  return { code, lines };
}

describe('profiles:validate', () => {
  it('prints ok per valid file, a summary, and exits 0', () => {
    const { code, lines } = run([
      path.join(FIXTURES, 'valid'),
      '--profiles-root',
      path.join(FIXTURES, 'valid'),
      path.join(FIXTURES, 'valid-sites'),
    ]);
    expect(lines).toEqual([
      `ok ${rel('valid/bacnet/acme/mini-vav.yaml')}`,
      `ok ${rel('valid/modbus/acme/mini-meter.yaml')}`,
      `ok ${rel('valid-sites/mini-site.yaml')}`,
      '3 files checked: 3 ok, 0 invalid, 0 issues',
    ]);
    expect(code).toBe(0);
  });

  it('prints each issue formatted and exits 1', () => {
    const file = path.join(FIXTURES, 'invalid', 'meter-overlapping-registers.yaml');
    const { code, lines } = run([file, path.join(FIXTURES, 'valid', 'modbus', 'acme', 'mini-meter.yaml')]);
    expect(lines).toEqual([
      `${rel('invalid/meter-overlapping-registers.yaml')}:29: point "total_power" field "modbus.address": overlaps point "l1_power" (registers 12-13) at line 12`,
      `ok ${rel('valid/modbus/acme/mini-meter.yaml')}`,
      '2 files checked: 1 ok, 1 invalid, 1 issue',
    ]);
    expect(code).toBe(1);
  });

  it('tells sites from profiles by their content', () => {
    const { code, lines } = run([
      path.join(FIXTURES, 'invalid-sites', 'site-invalid-time-zone.yaml'),
      '--profiles-root',
      path.join(FIXTURES, 'valid'),
    ]);
    expect(lines[0]).toContain('field "timeZone": "Europe/Berlim" is not an IANA time zone');
    expect(code).toBe(1);
  });

  it('--expect-invalid passes when every file is rejected, listing why', () => {
    const { code, lines } = run([
      '--expect-invalid',
      path.join(FIXTURES, 'invalid'),
      path.join(FIXTURES, 'invalid-sites'),
      '--profiles-root',
      path.join(FIXTURES, 'valid'),
    ]);
    const rejected = lines.filter((line) => line.startsWith('rejected '));
    expect(rejected).toHaveLength(
      fs.readdirSync(path.join(FIXTURES, 'invalid')).length +
        fs.readdirSync(path.join(FIXTURES, 'invalid-sites')).length,
    );
    expect(lines.at(-1)).toBe(`${rejected.length} of ${rejected.length} files rejected as expected`);
    expect(code).toBe(0);
  });

  it('--expect-invalid fails when a file is accepted', () => {
    const { code, lines } = run([
      '--expect-invalid',
      path.join(FIXTURES, 'valid', 'modbus', 'acme', 'mini-meter.yaml'),
    ]);
    expect(lines).toEqual([
      `NOT REJECTED ${rel('valid/modbus/acme/mini-meter.yaml')}`,
      '0 of 1 file rejected as expected',
    ]);
    expect(code).toBe(1);
  });

  it.each<[string[], string]>([
    [['--frobnicate'], 'profiles:validate: unknown option --frobnicate'],
    [['--expect-invalid'], 'profiles:validate: --expect-invalid needs files'],
    [['--profiles-root'], 'profiles:validate: --profiles-root needs a directory'],
    [['/nonexistent.yaml'], 'profiles:validate: no such file or directory: /nonexistent.yaml'],
  ])('bad usage %j exits 2 with one line', (args, message) => {
    expect(run(args)).toEqual({ code: 2, lines: [message] });
  });
});

describe('profiles:validate with no arguments', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'profiles-cli-'));
    fs.cpSync(path.join(FIXTURES, 'valid'), path.join(root, 'hardware-profiles'), { recursive: true });
    fs.mkdirSync(path.join(root, 'sites'));
    fs.copyFileSync(path.join(FIXTURES, 'valid-sites', 'mini-site.yaml'), path.join(root, 'sites', 'a.yaml'));
    fs.copyFileSync(
      path.join(FIXTURES, 'invalid-sites', 'site-unknown-profile.yaml'),
      path.join(root, 'sites', 'b.yaml'),
    );
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('checks hardware-profiles/ and sites/ of the repository', () => {
    const { code, lines } = run([], root);
    expect(lines.filter((line) => line.startsWith('ok ')).map((line) => path.basename(line))).toEqual([
      'mini-vav.yaml',
      'mini-meter.yaml',
      'a.yaml',
    ]);
    expect(lines).toContainEqual(
      expect.stringMatching(/b\.yaml:14: device "meter-2" field "profile": no profile/),
    );
    expect(lines.at(-1)).toBe('4 files checked: 3 ok, 1 invalid, 1 issue');
    expect(code).toBe(1);
  });
});

describe('findRepoRoot', () => {
  it('finds the directory of the package.json named bulwark', () => {
    const root = findRepoRoot(import.meta.dirname);
    expect(
      (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string }).name,
    ).toBe('bulwark');
    expect(path.relative(root, import.meta.dirname)).toBe(path.join('libs', 'profiles', 'src'));
  });

  it('throws a named error where there is none', () => {
    expect(() => findRepoRoot(os.tmpdir())).toThrow('no package.json named "bulwark"');
  });
});
