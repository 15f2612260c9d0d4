/**
 * Test support for the sync client: a scripted cloud (CloudTransport fake with
 * named failure modes) that verifies every signature with libs/sync's
 * verifier, an in-memory outbox with the OUTBOX contract, and a fixed key.
 */
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import type { LinkOutcome } from '#libs/link';
import {
  generateKeyPair,
  InMemoryKeyRegistry,
  InMemoryNonceCache,
  parsePrivateKey,
  RequestVerifier,
  SignatureError,
} from '#libs/sync';
import type { IngestBatch, OutboxRecord } from '#libs/sync';
import type { Clock } from '../common/clock.js';
import { CloudTransportError } from './cloud-transport.js';
import type { CloudAnswer, CloudRequest, CloudTransport } from './cloud-transport.js';
import { SignedCloudClient } from './signed-client.js';
import { lastSeqOf } from './sync-outbox.js';
import type { PeekLimits, SyncOutbox } from './sync-outbox.js';

export const silentLog = pino({ level: 'silent' });
export const BASE = 'http://127.0.0.1:4010';

export function fixedKey(pattern = 7) {
  const pair = generateKeyPair({ comment: 'ctl@test', randomBytes: (n) => new Uint8Array(n).fill(pattern) });
  return { pair, key: parsePrivateKey(pair.privateKey) };
}

export type Reply = CloudAnswer | 'refused' | 'timeout';

/** A cloud that checks signatures on a clock of its own and answers from a script (default 200 {}). */
export class ScriptedCloud implements CloudTransport {
  readonly requests: { req: CloudRequest; keyId: string; json?: unknown }[] = [];
  readonly script: Reply[] = [];
  /** Signature refusals, answered 401 as the cloud's guard does. */
  readonly refusals: string[] = [];
  readonly registry = new InMemoryKeyRegistry<string>();
  readonly verifier: RequestVerifier<string>;
  onRequest?: (req: CloudRequest, json: unknown) => Reply | undefined;

  constructor(readonly cloudClock: Clock) {
    this.verifier = new RequestVerifier({
      resolveKey: this.registry.resolve,
      nonces: new InMemoryNonceCache(() => cloudClock.now()),
      now: () => cloudClock.now(),
    });
  }

  async request(req: CloudRequest): Promise<CloudAnswer> {
    const body = req.body ?? new Uint8Array(0);
    const date = { date: new Date(this.cloudClock.now()).toUTCString() };
    let verified;
    try {
      verified = await this.verifier.verify({
        method: req.method,
        targetUri: req.url,
        headers: req.headers,
        body,
      });
    } catch (err) {
      if (!(err instanceof SignatureError)) throw err;
      this.refusals.push(err.reason);
      return { ...answer(401, { reason: err.reason, detail: err.message }), headers: date };
    }
    let json: unknown;
    if (body.length) {
      const raw = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : Buffer.from(body);
      json = JSON.parse(raw.toString('utf8'));
    }
    this.requests.push({ req, keyId: verified.keyId, json });
    const reply = this.onRequest?.(req, json) ?? this.script.shift() ?? answer(200, {});
    if (reply === 'refused') throw new CloudTransportError('network', 'ECONNREFUSED: connect ECONNREFUSED');
    if (reply === 'timeout') throw new CloudTransportError('timeout', `no answer within ${req.timeoutMs} ms`);
    return { ...reply, headers: { ...date, ...reply.headers } };
  }

  batches(): IngestBatch[] {
    return this.requests.filter((r) => r.req.url.endsWith('/batches')).map((r) => r.json as IngestBatch);
  }
}

export function answer(status: number, body: unknown, headers: Record<string, string> = {}): CloudAnswer {
  return { status, headers, body: Buffer.from(body === undefined ? '' : JSON.stringify(body)) };
}

export function client(
  cloud: ScriptedCloud,
  clock: Clock,
  outcomes: LinkOutcome[],
  pattern = 7,
): SignedCloudClient {
  const { pair, key } = fixedKey(pattern);
  cloud.registry.enrol(pair.publicKey, 'ctl-1');
  let n = 0;
  return new SignedCloudClient({
    baseUrl: BASE,
    key,
    transport: cloud,
    clock,
    record: (o) => outcomes.push(o),
    randomBytes: (size) => {
      const bytes = new Uint8Array(size);
      new DataView(bytes.buffer).setUint32(0, ++n);
      return bytes;
    },
  });
}

export function sample(seq: number, point = 'ahu.temp', value = seq): OutboxRecord {
  return {
    seq,
    at: new Date(1_780_000_000_000 + seq * 1000).toISOString(),
    kind: 'sample',
    body: { point, value, quality: 'good' },
  };
}

/** The OUTBOX contract in memory: peek contiguous records bounded by count and JSON bytes; confirm trims. */
export class MemoryOutbox implements SyncOutbox {
  records: OutboxRecord[] = [];
  readonly confirms: number[] = [];
  /** How often the sync client said the batch it peeked is no longer in flight. */
  releases = 0;

  append(...records: OutboxRecord[]): void {
    this.records.push(...records);
  }

  peek(limits: PeekLimits): OutboxRecord[] {
    const out: OutboxRecord[] = [];
    let bytes = 0;
    for (const r of this.records) {
      const size = JSON.stringify(r).length;
      if (out.length >= limits.maxRecords || (out.length > 0 && bytes + size > limits.maxBytes)) break;
      out.push(r);
      bytes += size;
    }
    return out;
  }

  confirm(mark: number): void {
    this.confirms.push(mark);
    this.records = this.records.filter((r) => lastSeqOf(r) > mark);
  }

  release(): void {
    this.releases++;
  }
}
