/**
 * The built cloud (dist/) as a child process, for tests that kill it: needs
 * `npm run build` (or `npx tsc -p apps/cloud/tsconfig.app.json`) first.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../../../..');
export const CLOUD_MAIN = resolve(REPO, 'dist/apps/cloud/src/main.js');
export const CLOUD_CLI = resolve(REPO, 'dist/apps/cloud/src/cli.js');

export function requireBuild(file: string): void {
  if (!existsSync(file))
    throw new Error(`${file} is missing: run \`npm run build\` before the cloud's process tests`);
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface CloudProcess {
  child: ChildProcess;
  url: string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function spawnCloud(env: Record<string, string>, port: number): Promise<CloudProcess> {
  requireBuild(CLOUD_MAIN);
  const child = spawn(process.execPath, [CLOUD_MAIN], {
    env: { ...process.env, ...env, BULWARK_CLOUD_PORT: String(port), BULWARK_CLOUD_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`cloud did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('cloud: listening on')) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`cloud exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    kill: (signal) =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill(signal);
      }),
  };
}
