/**
 * The enrolment CLI from dist/ (build first) against a fresh database, with a
 * key made by ssh-keygen: the printed fingerprint is ssh-keygen's.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase } from './test-support/cloud-fixture.js';
import type { TestDatabase } from './test-support/cloud-fixture.js';
import { CLOUD_CLI, requireBuild } from './test-support/cloud-process.js';

describe('cloud CLI: enrol, rotate, revoke, list', () => {
  let db: TestDatabase;
  let dir: string;
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [CLOUD_CLI, ...args], {
      env: { ...process.env, BULWARK_CLOUD_DATABASE_URL: db.url },
      encoding: 'utf8',
    });
  const keygen = (name: string) => {
    const path = join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path]);
    const fingerprint = execFileSync('ssh-keygen', ['-lf', `${path}.pub`], { encoding: 'utf8' }).split(
      ' ',
    )[1];
    return { pub: `${path}.pub`, fingerprint };
  };

  beforeAll(async () => {
    requireBuild(CLOUD_CLI);
    db = await freshDatabase();
    dir = mkdtempSync(join(tmpdir(), 'bulwark-cloud-cli-'));
  }, 30_000);
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enrols a controller (creating its site), printing the ssh-keygen fingerprint', () => {
    const key = keygen('ctl-1');
    const run = cli('enrol', '--site', 'demo-office', '--name', 'ctl-1', '--key', key.pub);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe('created site "demo-office"');
    expect(lines.at(-1)).toBe(key.fingerprint);
    expect(run.stdout).toContain('controller 1 "ctl-1" at site "demo-office"');
  });

  it('rotates to a second key, then revokes the first; the database shows both', async () => {
    const [first] = await db.query<{ fingerprint: string }>(`SELECT fingerprint FROM controller_keys`);
    const next = keygen('ctl-1-next');
    const rotated = cli('rotate', '--site', 'demo-office', '--name', 'ctl-1', '--key', next.pub);
    expect(rotated.status).toBe(0);
    expect(rotated.stdout.trim().split('\n').at(-1)).toBe(next.fingerprint);
    const revoked = cli('revoke', '--fingerprint', first.fingerprint);
    expect(revoked.status).toBe(0);
    expect(revoked.stdout).toContain(`revoked ${first.fingerprint}`);
    const keys = await db.query<{ fingerprint: string; status: string }>(
      `SELECT fingerprint, status FROM controller_keys ORDER BY created_at`,
    );
    expect(keys).toEqual([
      { fingerprint: first.fingerprint, status: 'revoked' },
      { fingerprint: next.fingerprint, status: 'active' },
    ]);
    const list = cli('list', '--site', 'demo-office');
    expect(list.stdout).toContain(`${next.fingerprint} active`);
  });

  it('names what is wrong: missing flags, unreadable key, a key that is not Ed25519, unknown fingerprint', () => {
    const missing = cli('enrol', '--site', 'demo-office', '--key', join(dir, 'ctl-1.pub'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--name is required');
    const unreadable = cli('enrol', '--site', 'demo-office', '--name', 'x', '--key', join(dir, 'absent.pub'));
    expect(unreadable.stderr).toContain('cannot read the public key file');
    const rsa = join(dir, 'rsa');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa]);
    const wrongType = cli('enrol', '--site', 'demo-office', '--name', 'ctl-rsa', '--key', `${rsa}.pub`);
    expect(wrongType.status).toBe(1);
    expect(wrongType.stderr).toContain('only ed25519 keys are accepted');
    expect(readFileSync(`${rsa}.pub`, 'utf8')).toMatch(/^ssh-rsa /);
    const unknown = cli('revoke', '--fingerprint', 'SHA256:nothing');
    expect(unknown.stderr).toContain('no controller holds key SHA256:nothing');
  });
});
