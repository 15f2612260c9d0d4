/**
 * Child processes for interoperability tests (pymodbus, socat): start one, wait
 * for the line that says it is ready, and kill every one of them afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const PYTHON = '/usr/bin/python3'; // Debian's python3-pymodbus lives here, not in a PATH python
export const PYMODBUS_SERVER = path.join(import.meta.dirname, 'pymodbus_server.py');

export class Children {
  private readonly procs: ChildProcess[] = [];

  /**
   * Spawns `cmd` and resolves with the first line (stdout or stderr) matching
   * `ready`; rejects with everything the process printed if it exits first or
   * stays silent for `ms`.
   */
  start(
    cmd: string,
    args: string[],
    ready: RegExp,
    ms = 8000,
  ): Promise<{ proc: ChildProcess; line: string }> {
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.push(proc);
    return new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => fail(`not ready after ${ms} ms`), ms);
      const fail = (why: string): void => {
        clearTimeout(timer);
        reject(new Error(`${cmd} ${args.join(' ')}: ${why}\n${output}`));
      };
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        const line = output.split('\n').find((l) => ready.test(l));
        if (line !== undefined) {
          clearTimeout(timer);
          resolve({ proc, line });
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('error', (e) => fail(e.message));
      proc.once('exit', (code, signal) => fail(`exited (${code ?? signal})`));
    });
  }

  /** SIGTERM every child still running, SIGKILL those that linger, wait for all to exit. */
  async killAll(): Promise<void> {
    const running = this.procs.splice(0).filter((p) => p.exitCode === null && p.signalCode === null);
    await Promise.all(
      running.map(
        (p) =>
          new Promise<void>((resolve) => {
            const hard = setTimeout(() => p.kill('SIGKILL'), 2000);
            p.once('exit', () => {
              clearTimeout(hard);
              resolve();
            });
            p.kill('SIGTERM');
          }),
      ),
    );
  }
}

/** Waits until every path exists (socat creates its pty links after it prints). */
export async function waitForPaths(paths: string[], ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!paths.every((p) => existsSync(p))) {
    if (Date.now() > deadline) throw new Error(`not created within ${ms} ms: ${paths.join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
