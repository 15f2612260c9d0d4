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
import { resolveLinkOptions } from '#libs/link';
import type { LinkOptions } from '#libs/link';

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
  bacnet: { interface: string; port: number; broadcastAddress: string; bbmd?: BbmdConfig };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** The cloud link (DESIGN.md point 5). Absent: driver 'none', or 'cloud' when `cloud.url` is set. */
  link?: LinkConfig;
  /** The cloud to sync with (DESIGN.md point 7); with `url` set the link driver is 'cloud'. */
  cloud?: CloudConfig;
  /** The durable outbox (DESIGN.md point 6): `capBytes` is where thinning aims to stay under (default 1 GiB). */
  outbox?: { capBytes: number };
}

/**
 * The sync client (apps/controller/src/sync): `url` the cloud's base URL;
 * `site` the site id this controller is enrolled for (default: the site
 * file's name); `keyDir` where the controller's Ed25519 key pair lives
 * (default var/keys); batches bounded by `batchMaxRecords` and `batchMaxBytes`;
 * `longPollSeconds` how long one desired-state poll may wait in the cloud.
 */
export interface CloudConfig {
  url?: string;
  site?: string;
  keyDir: string;
  batchMaxRecords: number;
  batchMaxBytes: number;
  longPollSeconds: number;
}

/**
 * What drives the link, and overrides of libs/link's LinkOptions. 'none': no
 * cloud configured, so the controller is AUTONOMOUS from the start and for good
 * (the truth without a cloud). 'manual': libs/link's ManualLinkDriver behind a
 * simulated cloud that answers until `PUT /api/v1/mode/simulated-link` says
 * otherwise: a fake, for tests and the demo.
 */
export type LinkConfig = { driver: 'none' | 'manual' | 'cloud' } & Partial<LinkOptions>;

/**
 * The controller detects a loss in 4 s (libs/link's default is 5 s), leaving
 * 1 s for the fallback writes: the fallback schedules reach the devices within
 * 5 s of the last exchange with the cloud (issue 4, DESIGN.md point 5).
 */
export const CONTROLLER_LINK_DEFAULTS: Readonly<Partial<LinkOptions>> = { autonomousAfterMs: 4000 };

/**
 * A BBMD to join the BACnet network through, as a foreign device (ASHRAE 135
 * Annex J.5.2), when the devices live on another IP subnet: the client
 * registers at start and renews at half the time-to-live, and its Who-Is goes
 * to the BBMD as Distribute-Broadcast-To-Network. `address` is 'host:port'
 * (bare host: 47808); `ttlSeconds` 1..65535, default 300 (libs/bacnet).
 */
export interface BbmdConfig {
  address: string;
  ttlSeconds?: number;
}

/** 'host' or 'host:port' with a port 1..65535. */
const HOST_PORT =
  '^[A-Za-z0-9._-]+(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?$';

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
        bbmd: {
          type: 'object',
          additionalProperties: false,
          required: ['address'],
          properties: {
            address: { type: 'string', pattern: HOST_PORT },
            ttlSeconds: { type: 'integer', minimum: 1, maximum: 65535 },
          },
        },
      },
    },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    link: {
      type: 'object',
      additionalProperties: false,
      required: ['driver'],
      properties: {
        driver: { enum: ['none', 'manual', 'cloud'] },
        degradedAfterMs: { type: 'number' },
        autonomousAfterMs: { type: 'number' },
        reconnectAfterSuccesses: { type: 'integer' },
        recoverAfterSuccesses: { type: 'integer' },
        recoverMinMs: { type: 'number' },
        initialState: { enum: ['AUTONOMOUS', 'CONNECTED'] },
      },
    },
    outbox: {
      type: 'object',
      additionalProperties: false,
      required: ['capBytes'],
      properties: { capBytes: { type: 'integer', minimum: 65536 } },
    },
    cloud: {
      type: 'object',
      additionalProperties: false,
      required: ['keyDir', 'batchMaxRecords', 'batchMaxBytes', 'longPollSeconds'],
      properties: {
        url: { type: 'string', pattern: '^https?://[^\\s]+$' },
        site: { type: 'string', minLength: 1 },
        keyDir: { type: 'string', minLength: 1 },
        batchMaxRecords: { type: 'integer', minimum: 1, maximum: 100000 },
        batchMaxBytes: { type: 'integer', minimum: 1024, maximum: 67108864 },
        longPollSeconds: { type: 'integer', minimum: 1, maximum: 300 },
      },
    },
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
  BULWARK_BACNET_BBMD: 'bacnet.bbmd.address',
  BULWARK_BACNET_BBMD_TTL: 'bacnet.bbmd.ttlSeconds',
  BULWARK_LOG_LEVEL: 'logLevel',
  BULWARK_LINK_DRIVER: 'link.driver',
  BULWARK_OUTBOX_CAP_BYTES: 'outbox.capBytes',
  BULWARK_CLOUD_URL: 'cloud.url',
  BULWARK_CLOUD_SITE: 'cloud.site',
  BULWARK_CLOUD_KEY_DIR: 'cloud.keyDir',
};
const NUMERIC = new Set(['port', 'bacnet.port', 'bacnet.bbmd.ttlSeconds', 'outbox.capBytes']);

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
    link: { ...(file.link as object | undefined) },
    cloud: {
      keyDir: resolve(root, 'var/keys'),
      batchMaxRecords: 2000,
      batchMaxBytes: 1024 * 1024,
      longPollSeconds: 25,
      ...(file.cloud as object | undefined),
    },
    outbox: { capBytes: 1024 ** 3, ...(file.outbox as object | undefined) },
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
      problems.push(`${name}: "${raw}" is not ${path.endsWith('port') ? 'a port number' : 'a whole number'}`);
      continue;
    }
    setPath(merged, path, NUMERIC.has(path) ? Number(raw) : raw);
  }
  // A configured cloud drives the link unless a driver is named explicitly.
  const link = merged.link as Partial<LinkConfig>;
  link.driver ??= (merged.cloud as Partial<CloudConfig>).url ? 'cloud' : 'none';
  if (link.driver === 'cloud' && !(merged.cloud as Partial<CloudConfig>).url)
    problems.push(`link.driver: 'cloud' needs cloud.url (BULWARK_CLOUD_URL)`);
  const ajv = new Ajv({ allErrors: true });
  const validate = ajv.compile<ControllerConfig>(schema);
  if (!validate(merged)) {
    for (const e of validate.errors ?? []) {
      const path = e.instancePath.slice(1).replace(/\//g, '.');
      const where = path || (e.params as { additionalProperty?: string }).additionalProperty || '(root)';
      const envName = Object.entries(ENV).find(([, p]) => p === path)?.[0];
      const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
      const message = allowed
        ? `must be one of ${allowed.join(', ')}`
        : e.keyword === 'pattern'
          ? 'must be host:port (port 1..65535), e.g. 192.168.1.10:47808'
          : (e.message ?? 'invalid');
      problems.push(`${envName ? `${envName} (${where})` : where}: ${message}`);
    }
  }
  if (problems.length === 0) {
    try {
      resolveLinkOptions(linkOptions(merged.link as LinkConfig));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return merged as unknown as ControllerConfig;
}

/** The LinkOptions a link config asks for: the controller's defaults, then its overrides. */
export function linkOptions(link: LinkConfig | undefined): Partial<LinkOptions> {
  const { driver: _driver, ...overrides } = link ?? { driver: 'none' };
  return { ...CONTROLLER_LINK_DEFAULTS, ...overrides };
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
  o[keys[keys.length - 1]] = value;
}
