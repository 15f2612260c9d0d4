/**
 * Controller keys in OpenSSH format (issue 5 item 2): Ed25519 only, the private
 * half as an "OPENSSH PRIVATE KEY" PEM, the public half as an authorized_keys
 * line, and the key id as the SHA256 fingerprint exactly as `ssh-keygen -lf`
 * prints it. sshpk reads and writes the OpenSSH formats; node:crypto signs, so
 * every parsed key also carries a KeyObject. Strings in, strings out: writing
 * the private file with mode 0600 is the app's job.
 */
import { createPrivateKey, createPublicKey, randomBytes as nodeRandomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import sshpk from 'sshpk';
import { KeyFormatError } from '../errors.js';

/** Randomness, injected so tests can derive a key from a fixed seed. */
export type RandomBytes = (size: number) => Uint8Array;

export interface SshPublicKey {
  readonly algorithm: 'ed25519';
  /** `SHA256:<base64 without padding>`, the key id of signed requests. */
  readonly fingerprint: string;
  readonly comment: string;
  /** Canonical `ssh-ed25519 AAAA… comment` line (no trailing newline). */
  readonly openssh: string;
  /** The 32-byte Ed25519 public key. */
  readonly raw: Uint8Array;
  readonly keyObject: KeyObject;
}

export interface SshPrivateKey {
  readonly publicKey: SshPublicKey;
  readonly fingerprint: string;
  readonly comment: string;
  /** For node:crypto `sign(null, data, keyObject)`. */
  readonly keyObject: KeyObject;
}

export interface GeneratedKeyPair {
  /** `-----BEGIN OPENSSH PRIVATE KEY-----` PEM, unencrypted, ending in a newline. */
  readonly privateKey: string;
  /** `ssh-ed25519 AAAA… comment`, no trailing newline. */
  readonly publicKey: string;
  readonly fingerprint: string;
}

export interface GenerateKeyOptions {
  /** The key's comment, e.g. `bulwark-controller@site-1`. Default empty. */
  comment?: string;
  randomBytes?: RandomBytes;
}

const ED25519_SIZE = 32;
// PKCS#8 wrapping of a bare Ed25519 seed (RFC 8410 §7): the fixed DER prefix, then the 32 bytes.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function generateKeyPair(options: GenerateKeyOptions = {}): GeneratedKeyPair {
  const seed = Buffer.from((options.randomBytes ?? nodeRandomBytes)(ED25519_SIZE));
  if (seed.length !== ED25519_SIZE) {
    throw new KeyFormatError(`randomBytes(${ED25519_SIZE}) returned ${seed.length} bytes`);
  }
  const seedKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  // Built from parts, not parsed from PKCS#8: sshpk would re-derive the public half in slow JavaScript.
  const publicRaw = Buffer.from(String(createPublicKey(seedKey).export({ format: 'jwk' }).x), 'base64url');
  const key = new sshpk.PrivateKey({
    type: 'ed25519',
    parts: [
      { name: 'A', data: publicRaw },
      { name: 'k', data: seed },
    ],
  });
  key.comment = options.comment ?? '';
  const publicKey = toPublicLine(key.toPublic());
  return {
    privateKey: key.toString('openssh'),
    publicKey,
    fingerprint: key.fingerprint('sha256').toString(),
  };
}

/** One `ssh-ed25519 AAAA… [comment]` line, as in authorized_keys (without options). */
export function parsePublicKey(text: string): SshPublicKey {
  const line = text.trim();
  if (line === '') throw new KeyFormatError('public key: empty text');
  if (/[\r\n]/.test(line)) throw new KeyFormatError('public key: expected exactly one key line');
  let key: sshpk.Key;
  try {
    key = sshpk.parseKey(line, 'ssh');
  } catch (error) {
    throw new KeyFormatError(
      `public key: not an OpenSSH public key line (ssh-ed25519 AAAA… comment): ${messageOf(error)}`,
    );
  }
  return publicFromSshpk(key, 'public key');
}

/** An unencrypted OpenSSH private key (`-----BEGIN OPENSSH PRIVATE KEY-----`). */
export function parsePrivateKey(text: string): SshPrivateKey {
  if (text.trim() === '') throw new KeyFormatError('private key: empty text');
  let key: sshpk.PrivateKey;
  try {
    key = sshpk.parsePrivateKey(text, 'openssh');
  } catch (error) {
    if (error instanceof Error && error.name === 'KeyEncryptedError') {
      throw new KeyFormatError(
        'private key: encrypted with a passphrase; the controller needs an unencrypted key',
      );
    }
    throw new KeyFormatError(`private key: not an OpenSSH private key: ${messageOf(error)}`);
  }
  const publicKey = publicFromSshpk(key.toPublic(), 'private key');
  const seed = partData(key, 'k');
  if (seed.length !== ED25519_SIZE) {
    throw new KeyFormatError(`private key: Ed25519 seed is ${seed.length} bytes, expected ${ED25519_SIZE}`);
  }
  const keyObject = createPrivateKey({
    key: {
      kty: 'OKP',
      crv: 'Ed25519',
      d: seed.toString('base64url'),
      x: Buffer.from(publicKey.raw).toString('base64url'),
    },
    format: 'jwk',
  });
  // sshpk stores the public half beside the seed; a file where they disagree would sign with a key nobody enrolled.
  const derived = createPublicKey(keyObject).export({ format: 'jwk' }).x;
  if (derived !== Buffer.from(publicKey.raw).toString('base64url')) {
    throw new KeyFormatError('private key: the stored public key does not match the private seed');
  }
  return { publicKey, fingerprint: publicKey.fingerprint, comment: publicKey.comment, keyObject };
}

/** The SHA256 fingerprint of a public key line, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(publicKeyText: string): string {
  return parsePublicKey(publicKeyText).fingerprint;
}

function publicFromSshpk(key: sshpk.Key, what: string): SshPublicKey {
  if (key.type !== 'ed25519') {
    throw new KeyFormatError(`${what}: only ed25519 keys are accepted, got ${key.type}`);
  }
  const raw = partData(key, 'A');
  if (raw.length !== ED25519_SIZE) {
    throw new KeyFormatError(`${what}: Ed25519 public key is ${raw.length} bytes, expected ${ED25519_SIZE}`);
  }
  const keyObject = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
  return {
    algorithm: 'ed25519',
    fingerprint: key.fingerprint('sha256').toString(),
    comment: key.comment ?? '',
    openssh: toPublicLine(key),
    raw: new Uint8Array(raw),
    keyObject,
  };
}

function toPublicLine(key: sshpk.Key): string {
  // sshpk writes `type base64 comment`, and a trailing space when the comment is empty.
  return key.toString('ssh').trim();
}

function partData(key: sshpk.Key | sshpk.PrivateKey, name: 'A' | 'k'): Buffer {
  const part = key.parts.find((candidate) => candidate.name === name);
  if (part === undefined) throw new KeyFormatError(`key has no Ed25519 part ${name}`);
  return part.data;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
