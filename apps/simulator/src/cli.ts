/**
 * Command-line flags of the simulator: the site, the control API address and
 * faults to inject from the start. Errors name the flag.
 */
import { parseArgs } from 'node:util';
import type { SimFaults } from '#libs/contracts';

export interface SimulatorCli {
  site: string;
  /** Root of the hardware profiles; undefined means the repository's hardware-profiles/. */
  profiles?: string;
  control: { host: string; port: number } | null;
  timeScale: number;
  faults: Map<string, SimFaults>;
  /** BACnet devices hosting Schedule and Calendar objects 1..count, by device id. */
  scheduleObjects: Map<string, number>;
}

export class CliError extends Error {}

export const USAGE = `usage: simulator [--site FILE] [--profiles DIR] [--control HOST:PORT|off] [--time-scale N]
                 [--offline DEVICE]... [--slow DEVICE:MS]... [--exception DEVICE:CODE]... [--garbage DEVICE]...
                 [--stuck DEVICE.POINT=VALUE]... [--out-of-range DEVICE.POINT]...
                 [--schedule-objects DEVICE:COUNT]...`;

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): SimulatorCli {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        site: { type: 'string' },
        profiles: { type: 'string' },
        control: { type: 'string' },
        'time-scale': { type: 'string' },
        offline: { type: 'string', multiple: true },
        slow: { type: 'string', multiple: true },
        exception: { type: 'string', multiple: true },
        garbage: { type: 'string', multiple: true },
        stuck: { type: 'string', multiple: true },
        'out-of-range': { type: 'string', multiple: true },
        'schedule-objects': { type: 'string', multiple: true },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) throw new CliError(USAGE);
  const faults = new Map<string, SimFaults>();
  const of = (id: string): SimFaults => faults.get(id) ?? (faults.set(id, {}), faults.get(id)!);
  for (const id of values.offline ?? []) of(id).offline = true;
  for (const s of values.slow ?? []) {
    const [id, ms] = split(s, ':', '--slow', 'DEVICE:MS');
    of(id).delayMs = num(ms, '--slow');
  }
  for (const s of values.exception ?? []) {
    const [id, code] = split(s, ':', '--exception', 'DEVICE:CODE');
    of(id).exceptionCode = num(code, '--exception');
  }
  for (const id of values.garbage ?? []) of(id).garbage = true;
  for (const s of values.stuck ?? []) {
    const [ref, v] = split(s, '=', '--stuck', 'DEVICE.POINT=VALUE');
    const [id, point] = split(ref, '.', '--stuck', 'DEVICE.POINT=VALUE');
    of(id).stuck = { ...of(id).stuck, [point]: num(v, '--stuck') };
  }
  for (const ref of values['out-of-range'] ?? []) {
    const [id, point] = split(ref, '.', '--out-of-range', 'DEVICE.POINT');
    of(id).outOfRange = [...(of(id).outOfRange ?? []), point];
  }
  const scheduleObjects = new Map<string, number>();
  for (const s of values['schedule-objects'] ?? []) {
    const [id, count] = split(s, ':', '--schedule-objects', 'DEVICE:COUNT');
    const n = num(count, '--schedule-objects');
    if (!Number.isInteger(n) || n < 1 || n > 64)
      throw new CliError(`--schedule-objects: COUNT must be a whole number 1..64, got "${count}"`);
    scheduleObjects.set(id, n);
  }
  const control = values.control ?? env.BULWARK_SIM_CONTROL ?? '127.0.0.1:8070';
  return {
    site: values.site ?? env.BULWARK_SITE ?? 'sites/demo-office.yaml',
    profiles: values.profiles ?? env.BULWARK_PROFILES,
    control: control === 'off' ? null : hostPort(control),
    timeScale: values['time-scale'] === undefined ? 1 : num(values['time-scale'], '--time-scale'),
    faults,
    scheduleObjects,
  };
}

function split(s: string, sep: string, flag: string, shape: string): [string, string] {
  const i = s.indexOf(sep);
  if (i <= 0 || i === s.length - 1) throw new CliError(`${flag}: expected ${shape}, got "${s}"`);
  return [s.slice(0, i), s.slice(i + 1)];
}

function num(s: string, flag: string): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n)) throw new CliError(`${flag}: "${s}" is not a number`);
  return n;
}

function hostPort(s: string): { host: string; port: number } {
  const [host, port] = split(s, ':', '--control', 'HOST:PORT');
  return { host, port: num(port, '--control') };
}
