/**
 * `npm run bench:ingest` (issue 5): samples per second through the cloud's
 * signed HTTP ingest into PostgreSQL, against a raw COPY of the same rows into
 * the same table (same indexes) in the same run. Target ratio ≥ 0.5.
 *
 * The cloud runs as a child process (the built dist/apps/cloud main.js), as in
 * production: its CPU is its own and is reported, and the bench process only
 * signs and sends bodies gzipped before timing. Several controllers send at
 * once, each one batch at a time in order (the sync client's contract: the
 * next batch only after the answer to the last), so `--controllers` is the
 * number of batches in flight. The COPY is one stream of all rows over one
 * connection, the cheapest way to put them into that table. The two take
 * turns round by round (ingest first in odd rounds, COPY first in even ones),
 * each on an emptied table after a CHECKPOINT; figures are medians.
 *
 *   npm run bench:ingest -- [--samples N] [--batch N] [--controllers N] [--points N] [--rounds N]
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { generateKeyPair, parsePrivateKey, RequestSigner, signingKeyFrom } from '#libs/sync';
import { SAMPLE_COPY } from '../apps/cloud/src/ingest/sample-copy.js';
import { createBenchDatabase, startCloud } from './cloud-child.js';
import { controllerLoad, copyText } from './ingest-workload.js';
import type { ControllerLoad } from './ingest-workload.js';
import { freePort } from './outage-rig.js';

const { values: args } = parseArgs({
  options: {
    samples: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '5000' },
    controllers: { type: 'string', default: '4' },
    points: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '5' },
  },
});
const CONTROLLERS = Number(args.controllers);
const SAMPLES = Math.floor(Number(args.samples) / CONTROLLERS) * CONTROLLERS;
const BATCH = Number(args.batch);
const POINTS = Number(args.points);
const ROUNDS = Number(args.rounds);
const TARGET = 0.5;
const SITE = 'bench-site';
const TOKEN = randomBytes(16).toString('hex');
const BATCHES = '/api/v1/sync/batches';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** User + system CPU seconds of a process so far (Linux /proc; 0 elsewhere). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of every PostgreSQL process so far (Linux /proc). Other work on
 * the same server counts too, so it is a rough figure: it shows whether a side
 * makes PostgreSQL work more per sample, not an exact cost.
 */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // gone between readdir and read
    }
  }
  return total;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function post(
  url: string,
  headers: Record<string, string>,
  body: Buffer | string,
): Promise<{ status: number; text: string }> {
  return new Promise((done, fail) => {
    const req = request(url, { method: 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', fail);
    req.end(body);
  });
}

interface Sender {
  load: ControllerLoad;
  id: number;
  signer: RequestSigner;
}

/** One controller's batches, one in flight, each acknowledged with its toSeq before the next. */
async function sendAll(origin: string, sender: Sender, batches: number): Promise<void> {
  for (let i = 0; i < batches; i++) {
    const body = sender.load.bodies[i];
    const signed = sender.signer.sign({ method: 'POST', targetUri: `${origin}${BATCHES}`, body });
    const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip', ...signed };
    const res = await post(`${origin}${BATCHES}`, headers, body);
    const expected = sender.load.batches[i].toSeq;
    if (
      res.status !== 200 ||
      (JSON.parse(res.text) as { highWaterMark: number }).highWaterMark !== expected
    ) {
      throw new Error(`batch ${i} of controller ${sender.load.controller}: ${res.status} ${res.text}`);
    }
  }
}

async function main(): Promise<void> {
  const database = await createBenchDatabase('bulwark_bench');
  const databaseUrl = database.url;
  const port = await freePort('tcp');
  const origin = `http://127.0.0.1:${port}`;
  let cloud: ChildProcess | undefined;
  const db = new pg.Client({ connectionString: databaseUrl });
  try {
    // BULWARK_BENCH_CLOUD_NODE_ARGS: extra node flags for the cloud, e.g. `--cpu-prof --cpu-prof-dir=prof`.
    const nodeArgs = (process.env.BULWARK_BENCH_CLOUD_NODE_ARGS ?? '').split(' ').filter(Boolean);
    cloud = await startCloud(databaseUrl, port, TOKEN, nodeArgs);
    cloud.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`cloud: ${chunk.toString('utf8')}`));
    await db.connect();
    const admin = (path: string, body: unknown) =>
      post(
        `${origin}${path}`,
        { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        JSON.stringify(body),
      );
    const site = await admin('/api/v1/sites', { slug: SITE });
    if (site.status !== 201) throw new Error(`creating the site: ${site.status} ${site.text}`);

    const perController = SAMPLES / CONTROLLERS;
    console.log(
      `bench:ingest: ${SAMPLES} samples, ${CONTROLLERS} controllers × ${perController} samples over ${POINTS} points each, ` +
        `batches of ${BATCH} (gzip), ${CONTROLLERS} in flight, ${ROUNDS} rounds; cloud in a child process`,
    );
    const senders: Sender[] = [];
    for (let c = 0; c < CONTROLLERS; c++) {
      const pair = generateKeyPair({ comment: `bench-${c}@${SITE}` });
      const res = await admin(`/api/v1/sites/${SITE}/controllers`, {
        name: `bench-${c}`,
        publicKey: pair.publicKey,
      });
      if (res.status !== 201) throw new Error(`enrolling controller ${c}: ${res.status} ${res.text}`);
      senders.push({
        load: controllerLoad(c, SITE, perController, POINTS, BATCH),
        id: (JSON.parse(res.text) as { controller: { id: number } }).controller.id,
        signer: new RequestSigner({ key: signingKeyFrom(parsePrivateKey(pair.privateKey)), now: Date.now }),
      });
    }
    const bytes = senders.reduce((n, s) => n + s.load.bodies.reduce((m, b) => m + b.length, 0), 0);
    console.log(
      `  ${senders[0].load.batches.length} batches per controller, ${(bytes / 1e6).toFixed(1)} MB gzipped in all`,
    );

    const reset = async () => {
      await db.query('TRUNCATE samples');
      await db.query('UPDATE controller_progress SET high_water_mark = 0');
      await db.query('CHECKPOINT');
    };
    // Warm-up: the first two batches of every controller (this also fills the point catalogue).
    await Promise.all(senders.map((s) => sendAll(origin, s, Math.min(2, s.load.batches.length))));

    const siteId = (await db.query<{ id: number }>('SELECT id FROM sites WHERE slug = $1', [SITE])).rows[0]
      .id;
    const ids = new Map(
      (await db.query<{ id: number; key: string }>('SELECT id, key FROM points')).rows.map((r) => [
        r.key,
        r.id,
      ]),
    );
    const copyChunks = senders.flatMap((s) => copyText(s.load, s.id, siteId, ids));

    const count = async () =>
      Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM samples')).rows[0].n);
    const ingestRound = async () => {
      await reset();
      const cpu0 = cpuSeconds(cloud?.pid);
      const pg0 = postgresCpuSeconds();
      const t0 = performance.now();
      await Promise.all(senders.map((s) => sendAll(origin, s, s.load.batches.length)));
      const seconds = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds(cloud?.pid) - cpu0;
      const pgCpu = postgresCpuSeconds() - pg0;
      if ((await count()) !== SAMPLES)
        throw new Error(`ingest stored ${await count()} samples, not ${SAMPLES}`);
      console.log(
        `  ingest ${seconds.toFixed(2).padStart(6)} s  ${Math.round(SAMPLES / seconds)
          .toLocaleString('en')
          .padStart(9)} samples/s  (cloud CPU ${cpu.toFixed(2)} s, PostgreSQL CPU ${pgCpu.toFixed(2)} s)`,
      );
      return SAMPLES / seconds;
    };
    const copyRound = async () => {
      await reset();
      const pg0 = postgresCpuSeconds();
      const t0 = performance.now();
      await pipeline(Readable.from(copyChunks), db.query(copyFrom(SAMPLE_COPY)));
      const seconds = (performance.now() - t0) / 1000;
      const pgCpu = postgresCpuSeconds() - pg0;
      if ((await count()) !== SAMPLES)
        throw new Error(`COPY stored ${await count()} samples, not ${SAMPLES}`);
      console.log(
        `  COPY   ${seconds.toFixed(2).padStart(6)} s  ${Math.round(SAMPLES / seconds)
          .toLocaleString('en')
          .padStart(9)} samples/s  (PostgreSQL CPU ${pgCpu.toFixed(2)} s)`,
      );
      return SAMPLES / seconds;
    };

    const ingest: number[] = [];
    const copy: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        ingest.push(await ingestRound());
        copy.push(await copyRound());
      } else {
        copy.push(await copyRound());
        ingest.push(await ingestRound());
      }
    }
    const ingestPerSec = Math.round(median(ingest));
    const copyPerSec = Math.round(median(copy));
    const ratio = Math.round((ingestPerSec / copyPerSec) * 1000) / 1000;
    const met = ratio >= TARGET;
    console.log(
      `median: ingest ${ingestPerSec.toLocaleString('en')} samples/s, COPY ${copyPerSec.toLocaleString('en')} samples/s, ` +
        `ratio ${ratio.toFixed(3)} (target ≥ ${TARGET}: ${met ? 'met' : 'NOT met'})`,
    );
    const result = {
      samples: SAMPLES,
      ingestPerSec,
      copyPerSec,
      ratio,
      target: TARGET,
      met,
      batchSize: BATCH,
      controllers: CONTROLLERS,
      inFlight: CONTROLLERS,
      pointsPerController: POINTS,
      rounds: ROUNDS,
      ingestRuns: ingest.map(Math.round),
      copyRuns: copy.map(Math.round),
    };
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    await db.end().catch(() => undefined);
    if (cloud && cloud.exitCode === null) {
      const exited = new Promise((done) => cloud?.once('exit', done));
      cloud.kill('SIGTERM');
      await exited;
    }
    agent.destroy();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench:ingest failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
