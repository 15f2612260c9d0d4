/**
 * The cloud on a fresh PostgreSQL database per test file (bulwark_cloud_<random>,
 * created through the `postgres` database and dropped WITH (FORCE) after), on a
 * free loopback port, plus signed-request helpers with a controller clock that
 * tests can shift against the cloud's.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { DataSource } from 'typeorm';
import { generateKeyPair, parsePrivateKey, RequestSigner, signingKeyFrom } from '#libs/sync';
import type { IngestBatch, OutboxRecord, SigningKey } from '#libs/sync';
import { startCloud } from '../bootstrap.js';
import type { RunningCloud } from '../bootstrap.js';
import type { Clock } from '../common/tokens.js';
import type { CloudConfig } from '../config/cloud-config.js';

export const PG_ROOT = process.env.BULWARK_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432';
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestDatabase {
  name: string;
  url: string;
  /** A connection for assertions (no migrations run through it). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function freshDatabase(): Promise<TestDatabase> {
  const name = `bulwark_cloud_${randomBytes(6).toString('hex')}`;
  const admin = new DataSource({ type: 'postgres', url: `${PG_ROOT}/postgres` });
  await admin.initialize();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.destroy();
  const url = `${PG_ROOT}/${name}`;
  const conn = new DataSource({ type: 'postgres', url, extra: { max: 2 } });
  await conn.initialize();
  return {
    name,
    url,
    query: (sql, params) => conn.query(sql, params),
    drop: async () => {
      await conn.destroy();
      const root = new DataSource({ type: 'postgres', url: `${PG_ROOT}/postgres` });
      await root.initialize();
      await root.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await root.destroy();
    },
  };
}

export function testConfig(url: string, overrides: Partial<CloudConfig> = {}): CloudConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    databaseUrl: url,
    adminToken: ADMIN_TOKEN,
    maxBodyBytes: 256 * 1024,
    clockSkewSeconds: 60,
    logLevel: 'silent',
    ...overrides,
  };
}

/** The cloud's clock: real time plus an offset the test may move. */
export class ShiftedClock implements Clock {
  offsetMs = 0;
  readonly now = (): number => Date.now() + this.offsetMs;
}

export interface TestCloud {
  db: TestDatabase;
  cloud: RunningCloud;
  clock: ShiftedClock;
  close(): Promise<void>;
}

export async function startTestCloud(overrides: Partial<CloudConfig> = {}): Promise<TestCloud> {
  const db = await freshDatabase();
  const clock = new ShiftedClock();
  const cloud = await startCloud(testConfig(db.url, overrides), { clock });
  return {
    db,
    cloud,
    clock,
    close: async () => {
      await cloud.close();
      await db.drop();
    },
  };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A plain node:http request, so tests control every header, Content-Length included. */
export function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = undefined;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** RFC 9457 problem details as the cloud writes them. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  reason?: string;
  [extension: string]: unknown;
}

/** The parsed body as `T` (tests know what each route answers). */
export function bodyOf<T>(res: HttpResult): T {
  return res.json as T;
}

export function problemOf(res: HttpResult): ProblemBody {
  return res.json as ProblemBody;
}

export function admin(
  cloud: RunningCloud,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpResult> {
  return send(`${cloud.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export interface TestKey {
  publicLine: string;
  privatePem: string;
  fingerprint: string;
  signing: SigningKey;
}

export function newKey(comment = 'bulwark-controller@test'): TestKey {
  const pair = generateKeyPair({ comment });
  return {
    publicLine: pair.publicKey,
    privatePem: pair.privateKey,
    fingerprint: pair.fingerprint,
    signing: signingKeyFrom(parsePrivateKey(pair.privateKey)),
  };
}

/** A controller as the cloud sees it: a key and a clock offset against real time. */
export class TestController {
  offsetMs = 0;
  constructor(
    readonly key: TestKey,
    readonly origin: string,
  ) {}

  /** The signature headers for `body` sent to `path`. */
  sign(method: string, path: string, body: Buffer | string): Record<string, string> {
    const signer = new RequestSigner({ key: this.key.signing, now: () => Date.now() + this.offsetMs });
    return { ...signer.sign({ method, targetUri: `${this.origin}${path}`, body }) };
  }

  post(path: string, body: Buffer | string, extra: Record<string, string> = {}): Promise<HttpResult> {
    return send(`${this.origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.sign('POST', path, body), ...extra },
      body,
    });
  }

  /** A batch, gzip-encoded as the sync client sends it. */
  sendBatch(batch: IngestBatch, { gzip = true } = {}): Promise<HttpResult> {
    const json = JSON.stringify(batch);
    return gzip
      ? this.post(BATCHES, gzipSync(json), { 'content-encoding': 'gzip' })
      : this.post(BATCHES, json);
  }
}

export const BATCHES = '/api/v1/sync/batches';

/** Enrols a new controller with a new key through the admin API. */
export async function enrolController(
  cloud: RunningCloud,
  site: string,
  name: string,
): Promise<TestController & { id: number }> {
  const key = newKey(`${name}@${site}`);
  const res = await admin(cloud, 'POST', `/api/v1/sites/${site}/controllers`, {
    name,
    publicKey: key.publicLine,
  });
  if (res.status !== 201) throw new Error(`enrolment failed: ${res.status} ${res.text}`);
  return Object.assign(new TestController(key, cloud.origin), {
    id: (res.json as { controller: { id: number } }).controller.id,
  });
}

export const T_BASE = Date.UTC(2026, 10, 27, 8, 0, 0);

/** Samples seq from..to, one point per seq modulo `points`, one second apart. */
export function sampleRecords(from: number, to: number, points = 5): OutboxRecord[] {
  const records: OutboxRecord[] = [];
  for (let seq = from; seq <= to; seq++) {
    records.push({
      seq,
      at: new Date(T_BASE + seq * 1000).toISOString(),
      kind: 'sample',
      body: { point: `dev-${seq % points}.temp`, value: 20 + (seq % 7) / 2, quality: 'good' },
    });
  }
  return records;
}

export function batchOf(site: string, records: OutboxRecord[]): IngestBatch {
  const last = records[records.length - 1];
  return {
    site,
    fromSeq: records[0].seq,
    toSeq: last.kind === 'thinned' ? last.through : last.seq,
    records,
  };
}
