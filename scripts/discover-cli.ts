/**
 * Command line of `npm run discover`: parsed into options, or a DiscoverCliError
 * naming the flag and what was wrong. Pure, so every rule is a unit test.
 */

export const DISCOVER_HELP = `npm run discover -- [options]

Finds BACnet/IP devices (Who-Is / I-Am), reads each device's object list with
names, units, states and commandability, and writes a draft hardware profile
per device model and a site file with one entry per device. Every draft is
validated with libs/profiles before the command ends.

Where to look (at least one of --target, --broadcast):
  -t, --target <spec>       Directed Who-Is to host:port; repeatable or comma-separated.
                            Ranges: 127.0.0.1:47811-47818 (ports), 10.0.0.20-40:47808 (last octet).
                            Without a port: 47808.
  -b, --broadcast [addr]    Broadcast Who-Is, to addr (default 255.255.255.255:47808).
      --bbmd <host:port>    Join through this BBMD as a foreign device: broadcasts go through it.
      --ttl <seconds>       Foreign-device time-to-live (default 300; renewed at half).
  -i, --instances <lo-hi>   Only device instances in this range (default 0-4194302).

How:
      --interface <addr>    Local address to bind (default 0.0.0.0).
      --port <n>            Local UDP port (default 0: a free one; 47808 to hear broadcast I-Ams).
      --wait <ms>           How long to listen after each Who-Is (default 1000).
      --timeout <ms>        Per request (default 2000).

What to write:
  -o, --out <dir>           Output directory (default ./discovered): <dir>/site.yaml and
                            <dir>/bacnet/<vendor>/<model>.yaml (use <dir> as the profiles root).
      --site-name <name>    Site name (default "Discovered site").
      --time-zone <zone>    IANA time zone of the site (default this machine's).
      --poll-interval <ms>  pollIntervalMs of every site entry (default 5000).
  -h, --help                This text.

Example (the demo's simulator): npm run discover -- --target 127.0.0.1:47811-47818
`;

export interface DiscoverCli {
  help: boolean;
  targets: string[];
  broadcast?: string;
  bbmd?: string;
  ttlSeconds: number;
  lowLimit?: number;
  highLimit?: number;
  interface: string;
  port: number;
  waitMs: number;
  timeoutMs: number;
  out: string;
  siteName: string;
  timeZone?: string;
  pollIntervalMs: number;
}

export class DiscoverCliError extends Error {
  override readonly name = 'DiscoverCliError';
}

const MAX_INSTANCE = 4194302;
const MAX_TARGETS = 65536;

function int(flag: string, text: string | undefined, min: number, max: number): number {
  const n = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || n < min || n > max)
    throw new DiscoverCliError(
      `${flag}: expected an integer ${min}..${max}, got ${text === undefined ? 'nothing' : `"${text}"`}`,
    );
  return n;
}

function range(flag: string, text: string, min: number, max: number): [number, number] {
  const [a, b] = text.split('-');
  const lo = int(flag, a, min, max);
  const hi = b === undefined ? lo : int(flag, b, min, max);
  if (lo > hi) throw new DiscoverCliError(`${flag}: range "${text}" runs backwards`);
  return [lo, hi];
}

/** host:port specs with port and last-octet ranges → 'host:port' addresses. */
export function expandTargets(spec: string): string[] {
  const out: string[] = [];
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.)(\d{1,3}(?:-\d{1,3})?)(?::(\d+(?:-\d+)?))?$/.exec(part);
    if (!m) {
      const host = /^([A-Za-z0-9.-]+)(?::(\d+(?:-\d+)?))?$/.exec(part);
      if (!host)
        throw new DiscoverCliError(`--target: cannot read "${part}" (expected host:port, ranges allowed)`);
      const [plo, phi] = range('--target port', host[2] ?? '47808', 1, 65535);
      for (let port = plo; port <= phi; port++) out.push(`${host[1]}:${port}`);
      continue;
    }
    const [olo, ohi] = range('--target address', m[2], 0, 255);
    const [plo, phi] = range('--target port', m[3] ?? '47808', 1, 65535);
    if ((ohi - olo + 1) * (phi - plo + 1) + out.length > MAX_TARGETS)
      throw new DiscoverCliError(`--target: more than ${MAX_TARGETS} addresses; narrow the ranges`);
    for (let o = olo; o <= ohi; o++)
      for (let port = plo; port <= phi; port++) out.push(`${m[1]}${o}:${port}`);
  }
  return out;
}

export function parseDiscoverCli(argv: readonly string[]): DiscoverCli {
  const cli: DiscoverCli = {
    help: false,
    targets: [],
    ttlSeconds: 300,
    interface: '0.0.0.0',
    port: 0,
    waitMs: 1000,
    timeoutMs: 2000,
    out: 'discovered',
    siteName: 'Discovered site',
    pollIntervalMs: 5000,
  };
  const args = [...argv];
  const value = (flag: string): string => {
    const v = args.shift();
    if (v === undefined || v.startsWith('-')) throw new DiscoverCliError(`${flag} needs a value`);
    return v;
  };
  while (args.length > 0) {
    const arg = args.shift()!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    if (inline !== undefined) args.unshift(inline);
    switch (flag) {
      case '-h':
      case '--help':
        cli.help = true;
        break;
      case '-t':
      case '--target':
        cli.targets.push(...expandTargets(value(flag)));
        break;
      case '-b':
      case '--broadcast':
        cli.broadcast =
          args[0] !== undefined && !args[0].startsWith('-') ? args.shift()! : '255.255.255.255:47808';
        break;
      case '--bbmd':
        cli.bbmd = expandTargets(value(flag))[0];
        break;
      case '--ttl':
        cli.ttlSeconds = int(flag, value(flag), 1, 65535);
        break;
      case '-i':
      case '--instances':
        [cli.lowLimit, cli.highLimit] = range(flag, value(flag), 0, MAX_INSTANCE);
        break;
      case '--interface':
        cli.interface = value(flag);
        break;
      case '--port':
        cli.port = int(flag, value(flag), 0, 65535);
        break;
      case '--wait':
        cli.waitMs = int(flag, value(flag), 10, 60000);
        break;
      case '--timeout':
        cli.timeoutMs = int(flag, value(flag), 10, 60000);
        break;
      case '-o':
      case '--out':
        cli.out = value(flag);
        break;
      case '--site-name':
        cli.siteName = value(flag);
        break;
      case '--time-zone':
        cli.timeZone = value(flag);
        break;
      case '--poll-interval':
        cli.pollIntervalMs = int(flag, value(flag), 100, 86_400_000);
        break;
      default:
        throw new DiscoverCliError(`unknown option "${arg}" (see --help)`);
    }
  }
  if (!cli.help && cli.targets.length === 0 && cli.broadcast === undefined && cli.bbmd === undefined)
    throw new DiscoverCliError('say where to look: --target host:port, --broadcast or --bbmd (see --help)');
  return cli;
}
