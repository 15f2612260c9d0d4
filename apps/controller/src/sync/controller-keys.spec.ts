/**
 * The controller's key pair: made once with the private file at 0600, reused
 * after, and refused with a named reason when group or others can read it.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprintOf } from '#libs/sync';
import {
  ControllerKeyError,
  loadOrCreateKeys,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
} from './controller-keys.js';

describe('loadOrCreateKeys', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'keys-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('makes an OpenSSH Ed25519 pair on first start, private file 0600, and reuses it after', () => {
    const dir = join(root, 'var/keys');
    const first = loadOrCreateKeys(dir, { comment: 'bulwark-controller@hq' });
    expect(first.created).toBe(true);
    expect(statSync(first.privatePath).mode & 0o777).toBe(0o600);
    expect(readFileSync(first.privatePath, 'utf8')).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    const pub = readFileSync(join(dir, PUBLIC_KEY_FILE), 'utf8');
    expect(pub).toMatch(/^ssh-ed25519 AAAA\S+ bulwark-controller@hq\n$/);
    expect(first.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(fingerprintOf(pub)).toBe(first.fingerprint);

    const again = loadOrCreateKeys(dir);
    expect(again.created).toBe(false);
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(again.publicLine).toBe(first.publicLine);
  });

  it('refuses a private key readable by group or others, naming the file, its mode and the fix', () => {
    const first = loadOrCreateKeys(root);
    for (const mode of [0o640, 0o604, 0o660, 0o644]) {
      chmodSync(first.privatePath, mode);
      expect(() => loadOrCreateKeys(root)).toThrow(ControllerKeyError);
      expect(() => loadOrCreateKeys(root)).toThrow(
        `private key ${first.privatePath} has mode 0${mode.toString(8)}: it is readable or writable by group or others; run \`chmod 600 ${first.privatePath}\``,
      );
    }
    chmodSync(first.privatePath, 0o400);
    expect(loadOrCreateKeys(root).fingerprint).toBe(first.fingerprint);
  });

  it('refuses a private key file that is not an OpenSSH Ed25519 key, naming the file', () => {
    writeFileSync(join(root, PRIVATE_KEY_FILE), 'not a key\n', { mode: 0o600 });
    expect(() => loadOrCreateKeys(root)).toThrow(
      new RegExp(`^private key ${join(root, PRIVATE_KEY_FILE)}: private key: not an OpenSSH private key`),
    );
  });

  it('writes the .pub file again when it is missing or belongs to another key', () => {
    const first = loadOrCreateKeys(root, { comment: 'ctl@hq' });
    unlinkSync(first.publicPath);
    expect(loadOrCreateKeys(root).publicLine).toBe(first.publicLine);
    expect(readFileSync(first.publicPath, 'utf8')).toBe(`${first.publicLine}\n`);
    const other = loadOrCreateKeys(join(root, 'other')).publicLine;
    writeFileSync(first.publicPath, `${other}\n`);
    expect(loadOrCreateKeys(root).publicLine).toBe(first.publicLine);
    expect(readFileSync(first.publicPath, 'utf8')).toBe(`${first.publicLine}\n`);
  });
});
