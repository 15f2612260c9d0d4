/**
 * A malformed profile, site or configuration stops the start with a message
 * naming the file, point and field and a non-zero exit, never a stack trace.
 * Runs the built entry points (`npm test` builds first) as a user would.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { root } from './support/building.js';

const CONTROLLER = resolve(root, 'dist/apps/controller/src/main.js');
const SIMULATOR = resolve(root, 'dist/apps/simulator/src/main.js');

/** A profiles root with the demo's profiles, one of them broken by `edit`. */
function brokenProfiles(profile: string, edit: (text: string) => string): { profiles: string; site: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bad-'));
  const profiles = join(dir, 'hardware-profiles');
  for (const p of ['modbus/eastron/sdm630.yaml', 'bacnet/johnson-controls/cvm-vav.yaml']) {
    mkdirSync(dirname(join(profiles, p)), { recursive: true });
    copyFileSync(resolve(root, 'hardware-profiles', p), join(profiles, p));
  }
  const target = join(profiles, profile);
  writeFileSync(target, edit(readFileSync(target, 'utf8')));
  const site = join(dir, 'site.yaml');
  writeFileSync(
    site,
    `schemaVersion: 1
name: Bad input test
timeZone: Europe/Berlin
devices:
  - id: meter
    name: Meter
    profile: modbus/eastron/sdm630.yaml
    pollIntervalMs: 1000
    modbus: { transport: tcp, host: 127.0.0.1, port: 15999, unitId: 1 }
  - id: vav
    name: VAV
    profile: bacnet/johnson-controls/cvm-vav.yaml
    pollIntervalMs: 1000
    bacnet: { address: '127.0.0.1:47999', deviceInstance: 9 }
`,
  );
  return { profiles, site };
}

function run(script: string, args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [script, ...args], {
    env: { ...process.env, BULWARK_PORT: '0', BULWARK_DB: ':memory:', ...env },
    encoding: 'utf8',
    timeout: 20000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const noStackTrace = (out: string): void => expect(out).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

describe('bad input at start', () => {
  it('the controller refuses a profile with overlapping registers, naming file, line, point and field', () => {
    // total-power's address moved onto the register of voltage-l1.
    const { profiles, site } = brokenProfiles('modbus/eastron/sdm630.yaml', (t) =>
      t.replace(/(- id: total-power[\s\S]*?address: )\d+/, '$10'),
    );
    const r = run(CONTROLLER, [], { BULWARK_SITE: site, BULWARK_PROFILES: profiles });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(
      /sdm630\.yaml:\d+: point "(total-power|voltage-l1)" field "modbus\.address": overlaps point/,
    );
    noStackTrace(r.out);
  });

  it('the controller refuses a writable point whose fail-safe lies outside its safe range', () => {
    const { profiles, site } = brokenProfiles('bacnet/johnson-controls/cvm-vav.yaml', (t) =>
      t.replace(/(- id: damper-cmd[\s\S]*?failSafe: )[-\d.]+/, '$1250'),
    );
    const r = run(CONTROLLER, [], { BULWARK_SITE: site, BULWARK_PROFILES: profiles });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/cvm-vav\.yaml:\d+: point "damper-cmd" field "failSafe"/);
    noStackTrace(r.out);
  });

  it('the simulator refuses the same broken profile the same way', () => {
    const { profiles, site } = brokenProfiles('bacnet/johnson-controls/cvm-vav.yaml', (t) =>
      t.replace(/(- id: damper-cmd[\s\S]*?failSafe: )[-\d.]+/, '$1250'),
    );
    const r = run(SIMULATOR, ['--site', site, '--control', 'off'], { BULWARK_PROFILES: profiles });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/cvm-vav\.yaml:\d+: point "damper-cmd" field "failSafe"/);
    noStackTrace(r.out);
  });

  it('the controller names a bad environment variable', () => {
    const r = run(CONTROLLER, [], { BULWARK_PORT: 'http' });
    expect(r.status).toBe(1);
    expect(r.out).toContain('BULWARK_PORT: "http" is not a port number');
    noStackTrace(r.out);
  });

  it('the simulator names a bad flag', () => {
    const r = run(SIMULATOR, ['--slow', 'meter'], {});
    expect(r.status).toBe(1);
    expect(r.out).toContain('--slow: expected DEVICE:MS');
    noStackTrace(r.out);
  });
});
