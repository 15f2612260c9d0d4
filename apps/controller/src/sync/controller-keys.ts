/**
 * The controller's own key pair (issue 5 item 2, DESIGN.md point 7): made once
 * on first start in `cloud.keyDir` as OpenSSH files (`id_ed25519`, mode 0600,
 * and `id_ed25519.pub`), reused on every later start. Its SHA256 fingerprint is
 * the key id of every signed request and what an administrator enrols in the
 * cloud, so the caller prints it at startup.
 *
 * A private key readable by group or others is refused, as ssh refuses one:
 * a key anybody on the box could copy no longer proves it is this controller.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprintOf, generateKeyPair, parsePrivateKey } from '#libs/sync';
import type { RandomBytes, SshPrivateKey } from '#libs/sync';

export const PRIVATE_KEY_FILE = 'id_ed25519';
export const PUBLIC_KEY_FILE = 'id_ed25519.pub';

export interface ControllerKeys {
  readonly privateKey: SshPrivateKey;
  /** `ssh-ed25519 AAAA… comment`, what `bulwark enrol` takes. */
  readonly publicLine: string;
  readonly fingerprint: string;
  readonly privatePath: string;
  readonly publicPath: string;
  /** True when this start made the key pair. */
  readonly created: boolean;
}

/** A key file that must not be used; the message names the file and what to do. */
export class ControllerKeyError extends Error {
  override readonly name = 'ControllerKeyError';
}

export interface KeyOptions {
  /** The key's comment, e.g. `bulwark-controller@demo-office`. */
  comment?: string;
  randomBytes?: RandomBytes;
}

export function loadOrCreateKeys(dir: string, options: KeyOptions = {}): ControllerKeys {
  const privatePath = join(dir, PRIVATE_KEY_FILE);
  const publicPath = join(dir, PUBLIC_KEY_FILE);
  if (!existsSync(privatePath)) return create(dir, privatePath, publicPath, options);

  const mode = statSync(privatePath).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ControllerKeyError(
      `private key ${privatePath} has mode ${mode.toString(8).padStart(4, '0')}: it is readable or writable by group or others; ` +
        `run \`chmod 600 ${privatePath}\` (or remove it to make a new key, which must then be enrolled again)`,
    );
  }
  let privateKey: SshPrivateKey;
  try {
    privateKey = parsePrivateKey(readFileSync(privatePath, 'utf8'));
  } catch (err) {
    throw new ControllerKeyError(`private key ${privatePath}: ${(err as Error).message}`);
  }
  // The .pub file is only a convenience for enrolment: kept when it is this key's, written again otherwise.
  const stored = existsSync(publicPath) ? readFileSync(publicPath, 'utf8').trim() : undefined;
  let publicLine = stored;
  if (stored === undefined || fingerprintOrNull(stored) !== privateKey.fingerprint) {
    publicLine = privateKey.publicKey.openssh;
    writeFileSync(publicPath, `${publicLine}\n`, { mode: 0o644 });
  }
  return {
    privateKey,
    publicLine: publicLine!,
    fingerprint: privateKey.fingerprint,
    privatePath,
    publicPath,
    created: false,
  };
}

function create(dir: string, privatePath: string, publicPath: string, options: KeyOptions): ControllerKeys {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pair = generateKeyPair({ comment: options.comment, randomBytes: options.randomBytes });
  // 'wx': never overwrite a key another process made meanwhile; mode applies at creation, chmod undoes a umask.
  writeFileSync(privatePath, pair.privateKey, { mode: 0o600, flag: 'wx' });
  chmodSync(privatePath, 0o600);
  writeFileSync(publicPath, `${pair.publicKey}\n`, { mode: 0o644 });
  return {
    privateKey: parsePrivateKey(pair.privateKey),
    publicLine: pair.publicKey,
    fingerprint: pair.fingerprint,
    privatePath,
    publicPath,
    created: true,
  };
}

function fingerprintOrNull(line: string): string | null {
  try {
    return fingerprintOf(line);
  } catch {
    return null;
  }
}
