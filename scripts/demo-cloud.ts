/**
 * The cloud half of `npm run demo`: its PostgreSQL database, the demo
 * controller's key pair, and what the cloud has received. Scripts start apps
 * as processes and never import them, so enrolment goes through the cloud's
 * CLI (the demo spawns it) and this file only touches files and the database.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { fingerprintOf, generateKeyPair } from '#libs/sync';

/** The demo's own database, so a demo never writes into `postgres` or the tests' `test`. */
export const DEMO_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/bulwark_demo';

export class DemoSetupError extends Error {
  override readonly name = 'DemoSetupError';
}

/** The same database server, database `postgres`: where CREATE/DROP DATABASE are run. */
function maintenanceUrl(url: URL): string {
  const admin = new URL(url.href);
  admin.pathname = '/postgres';
  return admin.href;
}

function databaseName(url: URL): string {
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(name))
    throw new DemoSetupError(
      `BULWARK_CLOUD_DATABASE_URL: database name "${name}" must be lower case letters, digits, _`,
    );
  return name;
}

/**
 * Makes sure the demo database exists; with `fresh` drops and recreates it.
 * Answers whether it existed before. A server that does not answer is a
 * DemoSetupError that says what the demo needs.
 */
export async function prepareDatabase(databaseUrl: string, fresh: boolean): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = databaseName(url);
  const client = new pg.Client({ connectionString: maintenanceUrl(url), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (err) {
    throw new DemoSetupError(
      `the cloud needs PostgreSQL and none answered at ${url.host} (${(err as Error).message}).\n` +
        `  Start PostgreSQL (user "${decodeURIComponent(url.username) || 'postgres'}", trust or a password in the URL), ` +
        `or point BULWARK_CLOUD_DATABASE_URL at one (the demo creates database "${name}" itself);\n` +
        `  or run without a cloud, with the simulated link: npm run demo -- --manual-link`,
    );
  }
  try {
    const rows = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    const existed = rows.rowCount === 1;
    if (existed && fresh) await client.query(`DROP DATABASE ${name} WITH (FORCE)`);
    if (!existed || fresh) await client.query(`CREATE DATABASE ${name}`);
    return existed;
  } finally {
    await client.end();
  }
}

export interface DemoKey {
  publicPath: string;
  fingerprint: string;
  created: boolean;
}

/**
 * The demo controller's key pair in the files and modes the controller itself
 * uses (`id_ed25519` 0600, `id_ed25519.pub`), made here so it can be enrolled
 * before the controller's first start; the controller then finds and uses it.
 */
export function ensureKey(dir: string, comment: string): DemoKey {
  const privatePath = join(dir, 'id_ed25519');
  const publicPath = join(dir, 'id_ed25519.pub');
  if (existsSync(privatePath) && existsSync(publicPath)) {
    return {
      publicPath,
      fingerprint: fingerprintOf(readFileSync(publicPath, 'utf8').trim()),
      created: false,
    };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  rmSync(privatePath, { force: true });
  const pair = generateKeyPair({ comment });
  writeFileSync(privatePath, pair.privateKey, { mode: 0o600, flag: 'wx' });
  chmodSync(privatePath, 0o600);
  writeFileSync(publicPath, `${pair.publicKey}\n`, { mode: 0o644 });
  return { publicPath, fingerprint: pair.fingerprint, created: true };
}

/** Removes a controller database and its WAL files. */
export function removeSqlite(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

export interface CloudReceived {
  samples: number;
  points: number;
  highWaterMark: number;
}

/** What the cloud has committed for one controller, read from its database. */
export async function cloudReceived(databaseUrl: string, controllerId: number): Promise<CloudReceived> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    const samples = await client.query<{ n: number; points: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT point_id)::int AS points FROM samples WHERE controller_id = $1',
      [controllerId],
    );
    const progress = await client.query<{ hwm: string }>(
      'SELECT high_water_mark AS hwm FROM controller_progress WHERE controller_id = $1',
      [controllerId],
    );
    return {
      samples: samples.rows[0]?.n ?? 0,
      points: samples.rows[0]?.points ?? 0,
      highWaterMark: Number(progress.rows[0]?.hwm ?? 0),
    };
  } finally {
    await client.end();
  }
}
