/**
 * The cloud as the benches run it (bench:ingest, bench:outage): the BUILT
 * cloud (dist/apps/cloud main.js) as a child process, as in production, so
 * its CPU is its own and a SIGKILL is a real crash; on a throwaway PostgreSQL
 * database created for the run and dropped after it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import pg from 'pg';

const PG_ROOT = process.env.BULWARK_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';
const CLOUD_MAIN = resolve(import.meta.dirname, '../apps/cloud/src/main.js');

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new database `<prefix>_<random hex>` on BULWARK_BENCH_PG (default the local postgres superuser). */
export async function createBenchDatabase(prefix: string): Promise<BenchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const root = new pg.Client({ connectionString: `${PG_ROOT}/postgres` });
  await root.connect();
  await root.query(`CREATE DATABASE ${name}`);
  return {
    url: `${PG_ROOT}/${name}`,
    drop: async () => {
      await root.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await root.end();
    },
  };
}

/** Starts the cloud on `port` and resolves once it is listening; `nodeArgs` are extra node flags. */
export async function startCloud(
  databaseUrl: string,
  port: number,
  adminToken: string,
  nodeArgs: string[] = [],
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...nodeArgs, CLOUD_MAIN], {
    env: {
      ...process.env,
      BULWARK_CLOUD_DATABASE_URL: databaseUrl,
      BULWARK_CLOUD_PORT: String(port),
      BULWARK_CLOUD_ADMIN_TOKEN: adminToken,
      BULWARK_CLOUD_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`the cloud did not start within 30 s:\n${output}`)),
      30_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes('cloud: listening on')) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`the cloud exited with ${code}:\n${output}`)));
  });
  return child;
}
