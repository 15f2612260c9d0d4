/**
 * Against the independent peer: OpenSSH's own ssh-keygen (Debian package
 * openssh-client). Our keys must look to it exactly like its own, and its keys
 * must work here. Fails, rather than skips, when ssh-keygen is missing.
 */
import { execFileSync } from 'node:child_process';
import { sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPair, parsePrivateKey, parsePublicKey } from '#libs/sync';

let dir: string;
const keygen = (...args: string[]): string => execFileSync('ssh-keygen', args, { encoding: 'utf8' });

beforeAll(() => {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('ssh-keygen is not installed: apt-get install -y openssh-client');
    }
  }
  dir = mkdtempSync(join(tmpdir(), 'bulwark-sync-keys-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('keys we generate, read by ssh-keygen', () => {
  it('have the fingerprint ssh-keygen -lf prints, for the public and the private file', () => {
    for (let i = 0; i < 5; i++) {
      const pair = generateKeyPair({ comment: `bulwark-controller-${i}@site` });
      const privatePath = join(dir, `ours-${i}`);
      writeFileSync(privatePath, pair.privateKey, { mode: 0o600 });
      writeFileSync(`${privatePath}.pub`, `${pair.publicKey}\n`);
      const expected = `256 ${pair.fingerprint} bulwark-controller-${i}@site (ED25519)\n`;
      expect(keygen('-lf', `${privatePath}.pub`)).toBe(expected);
      expect(keygen('-lf', privatePath)).toBe(expected);
      // -y derives the public line from the private file: both halves agree.
      expect(keygen('-yf', privatePath)).toBe(`${pair.publicKey}\n`);
    }
  });
});

describe('keys ssh-keygen generates, read by us', () => {
  it('parse, fingerprint as ssh-keygen says, and sign what the public half verifies', () => {
    const privatePath = join(dir, 'theirs');
    keygen('-q', '-t', 'ed25519', '-N', '', '-C', 'made-by-ssh-keygen', '-f', privatePath);
    const printed = keygen('-lf', `${privatePath}.pub`).split(' ')[1];
    const privateKey = parsePrivateKey(readFileSync(privatePath, 'utf8'));
    const publicKey = parsePublicKey(readFileSync(`${privatePath}.pub`, 'utf8'));
    expect(publicKey.fingerprint).toBe(printed);
    expect(privateKey.fingerprint).toBe(printed);
    expect(publicKey.comment).toBe('made-by-ssh-keygen');
    const signature = sign(null, Buffer.from('hello'), privateKey.keyObject);
    expect(verify(null, Buffer.from('hello'), publicKey.keyObject, signature)).toBe(true);
  });
});
