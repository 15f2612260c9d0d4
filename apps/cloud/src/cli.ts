/**
 * Enrolment from the command line, straight on the cloud's database (the same
 * EnrolmentService the admin API uses), like editing authorized_keys:
 *
 *   node dist/apps/cloud/src/cli.js enrol  --site demo-office --name ctl-1 --key ctl-1.pub
 *   node dist/apps/cloud/src/cli.js rotate --site demo-office --name ctl-1 --key new.pub
 *   node dist/apps/cloud/src/cli.js revoke --fingerprint SHA256:…
 *   node dist/apps/cloud/src/cli.js list   --site demo-office
 *
 * The database is BULWARK_CLOUD_DATABASE_URL (default as the cloud's). `enrol`
 * creates the site when it does not exist yet.
 */
import { readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { Problem } from './common/problem.js';
import { systemClock } from './common/tokens.js';
import { ConfigError, loadCloudConfig } from './config/cloud-config.js';
import { cloudDataSourceOptions } from './database/data-source.js';
import { EnrolmentService } from './enrolment/enrolment.service.js';
import type { ControllerDto } from './enrolment/enrolment.service.js';

const USAGE = `usage:
  cli.js enrol  --site <site> --name <controller> --key <file.pub>
  cli.js rotate --site <site> --name <controller> --key <file.pub>
  cli.js revoke --fingerprint <SHA256:…>
  cli.js list   --site <site>`;

class UsageError extends Error {}

type Flags = Record<string, string>;

function parseArgs(argv: string[]): { command: string; flags: Flags } {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('no command given');
  const flags: Flags = {};
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i];
    const value = rest[i + 1];
    if (!name.startsWith('--') || value === undefined || value.startsWith('--')) {
      throw new UsageError(`expected "--flag value", got "${name}"`);
    }
    flags[name.slice(2)] = value;
  }
  return { command, flags };
}

function need(flags: Flags, name: string): string {
  const value = flags[name];
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

function readKey(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the public key file ${path}: ${(error as Error).message}`);
  }
}

function describe(c: ControllerDto): string {
  const keys = c.keys.map(
    (k) => `  ${k.fingerprint} ${k.status}${k.revokedAt ? ` (revoked ${k.revokedAt})` : ''}`,
  );
  return [
    `controller ${c.id} "${c.name}" at site "${c.site}", high-water mark ${c.highWaterMark}`,
    ...keys,
  ].join('\n');
}

export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
): Promise<void> {
  const { command, flags } = parseArgs(argv);
  if (!['enrol', 'rotate', 'revoke', 'list'].includes(command))
    throw new UsageError(`unknown command "${command}"`);
  const config = loadCloudConfig(env);
  const db = new DataSource(cloudDataSourceOptions(config.databaseUrl));
  await db.initialize();
  try {
    await db.runMigrations({ transaction: 'each' });
    const enrolment = new EnrolmentService(db, systemClock);
    switch (command) {
      case 'enrol': {
        const site = need(flags, 'site');
        const publicKey = readKey(need(flags, 'key'));
        if (await enrolment.ensureSite(site)) out(`created site "${site}"`);
        const result = await enrolment.enrol(site, { name: need(flags, 'name'), publicKey });
        out(result.created ? 'enrolled' : 'already enrolled with this key');
        out(describe(result.controller));
        out(result.fingerprint);
        return;
      }
      case 'rotate': {
        const controller = await enrolment.controllerByName(need(flags, 'site'), need(flags, 'name'));
        const result = await enrolment.addKey(controller.id, readKey(need(flags, 'key')));
        out('added key (revoke the old one once the controller signs with the new)');
        out(describe(result.controller));
        out(result.fingerprint);
        return;
      }
      case 'revoke': {
        const fingerprint = need(flags, 'fingerprint');
        const controller = await enrolment.revokeKey(
          await enrolment.controllerOfKey(fingerprint),
          fingerprint,
        );
        out(`revoked ${fingerprint}`);
        out(describe(controller));
        return;
      }
      case 'list': {
        for (const c of await enrolment.listControllers(need(flags, 'site'))) out(describe(c));
        return;
      }
    }
  } finally {
    await db.destroy();
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly) {
  runCli(process.argv.slice(2), process.env, (line) => console.log(line)).catch((err: unknown) => {
    if (err instanceof UsageError) console.error(`cloud cli: ${err.message}\n${USAGE}`);
    else if (err instanceof ConfigError || err instanceof Problem) console.error(`cloud cli: ${err.message}`);
    else console.error(`cloud cli: failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
}
