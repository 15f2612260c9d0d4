/**
 * The controller's configuration, parsed once at boot by one validated schema
 * (CONVENTIONS.md, immich): environment variables over an optional config
 * file (BULWARK_CONFIG, JSON or YAML). Bad configuration fails fast with every
 * wrong field named.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';

export interface ControllerConfig {
  host: string;
  port: number;
  /** The site file (sites/*.yaml). */
  site: string;
  /** Root of the hardware profiles the site names. */
  profiles: string;
  /** The SQLite file. */
  database: string;
  /** The controller's own BACnet/IP endpoint. Never 127.0.0.1:47808 on loopback (STACK.md, BACnet trap 2). */
  bacnet: { interface: string; port: number; broadcastAddress: string };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['host', 'port', 'site', 'profiles', 'database', 'bacnet', 'logLevel'],
  properties: {
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    site: { type: 'string', minLength: 1 },
    profiles: { type: 'string', minLength: 1 },
    database: { type: 'string', minLength: 1 },
    bacnet: {
      type: 'object',
      additionalProperties: false,
      required: ['interface', 'port', 'broadcastAddress'],
      properties: {
        interface: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        broadcastAddress: { type: 'string', minLength: 1 },
      },
    },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
  },
} as const;

/** Environment variable → config path, for messages that name what the user set. */
const ENV: Record<string, string> = {
  BULWARK_HOST: 'host',
  BULWARK_PORT: 'port',
  BULWARK_SITE: 'site',
  BULWARK_PROFILES: 'profiles',
  BULWARK_DB: 'database',
  BULWARK_BACNET_INTERFACE: 'bacnet.interface',
  BULWARK_BACNET_PORT: 'bacnet.port',
  BULWARK_BACNET_BROADCAST: 'bacnet.broadcastAddress',
  BULWARK_LOG_LEVEL: 'logLevel',
};
const NUMERIC = new Set(['port', 'bacnet.port']);

export function loadConfig(env: NodeJS.ProcessEnv, root: string): ControllerConfig {
  const problems: string[] = [];
  let file: Record<string, unknown> = {};
  if (env.BULWARK_CONFIG) {
    try {
      const text = readFileSync(env.BULWARK_CONFIG, 'utf8');
      const parsed: unknown = env.BULWARK_CONFIG.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
      if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
      file = parsed as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError([`BULWARK_CONFIG (${env.BULWARK_CONFIG}): ${(err as Error).message}`]);
    }
  }
  const bacnetPort = 47900;
  const merged: Record<string, unknown> = {
    host: '127.0.0.1',
    port: 8080,
    site: resolve(root, 'sites/demo-office.yaml'),
    profiles: resolve(root, 'hardware-profiles'),
    database: resolve(root, 'var/controller.sqlite'),
    logLevel: 'info',
    ...file,
    bacnet: {
      interface: '127.0.0.1',
      port: bacnetPort,
      broadcastAddress: `127.255.255.255:${bacnetPort}`,
      ...(file.bacnet as object | undefined),
    },
  };
  for (const [name, path] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (NUMERIC.has(path) && !/^\d+$/.test(raw)) {
      problems.push(`${name}: "${raw}" is not a port number`);
      continue;
    }
    setPath(merged, path, NUMERIC.has(path) ? Number(raw) : raw);
  }
  const ajv = new Ajv({ allErrors: true });
  const validate = ajv.compile<ControllerConfig>(schema);
  if (!validate(merged)) {
    for (const e of validate.errors ?? []) {
      const path = e.instancePath.slice(1).replace(/\//g, '.');
      const where = path || (e.params as { additionalProperty?: string }).additionalProperty || '(root)';
      const envName = Object.entries(ENV).find(([, p]) => p === path)?.[0];
      const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
      const message = allowed ? `must be one of ${allowed.join(', ')}` : (e.message ?? 'invalid');
      problems.push(`${envName ? `${envName} (${where})` : where}: ${message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return merged as unknown as ControllerConfig;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
  o[keys[keys.length - 1]] = value;
}
