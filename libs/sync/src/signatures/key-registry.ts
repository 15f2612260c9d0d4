/**
 * Looking up the key a signature names. The cloud resolves key ids against its
 * enrolled keys (a table); InMemoryKeyRegistry is the same contract for tests
 * and the one-machine demo. Rotation is two active keys for one owner at once;
 * a revoked key stays known so the refusal can say "revoked", not "unknown".
 */
import type { KeyObject } from 'node:crypto';
import { parsePublicKey } from '../keys/openssh-keys.js';

export type KeyStatus = 'active' | 'revoked';

export interface ResolvedKey<Owner = unknown> {
  /** An Ed25519 public KeyObject. */
  readonly publicKey: KeyObject;
  readonly status: KeyStatus;
  /** Whom the key belongs to, e.g. the controller id; handed back on success. */
  readonly owner: Owner;
}

export type KeyResolver<Owner = unknown> = (
  keyId: string,
) => ResolvedKey<Owner> | undefined | Promise<ResolvedKey<Owner> | undefined>;

export class InMemoryKeyRegistry<Owner = unknown> {
  private readonly keys = new Map<string, ResolvedKey<Owner>>();

  /** Enrols an `ssh-ed25519 …` line for `owner`; returns its fingerprint, the key id. */
  enrol(publicKeyLine: string, owner: Owner): string {
    const key = parsePublicKey(publicKeyLine);
    this.keys.set(key.fingerprint, { publicKey: key.keyObject, status: 'active', owner });
    return key.fingerprint;
  }

  /** False when no such key was enrolled. */
  revoke(keyId: string): boolean {
    const key = this.keys.get(keyId);
    if (key === undefined) return false;
    this.keys.set(keyId, { ...key, status: 'revoked' });
    return true;
  }

  readonly resolve: KeyResolver<Owner> = (keyId) => this.keys.get(keyId);
}
