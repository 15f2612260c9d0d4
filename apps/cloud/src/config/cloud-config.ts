/**
 * The cloud's configuration, parsed once at boot by one validated schema
 * (CONVENTIONS.md habit 10): environment variables only, every wrong field
 * named. The admin token guards the enrolment API until people-auth
 * (DESIGN.md point 9) exists; without one the admin API refuses every call.
 */
import { Ajv } from 'ajv';

export interface CloudConfig {
  host: string;
  port: number;
  /** postgres://user@host:port/database */
  databaseUrl: string;
  /**
   * The scheme://host[:port] controllers sign requests to (RFC 9421 @target-uri).
   * Behind a proxy this is the proxy's origin, not the address the app listens on.
   * Absent: the address the app listens on.
   */
  publicOrigin?: string;
  /** Bearer token for /api/v1/sites and /api/v1/controllers. Absent: admin API disabled. */
  adminToken?: string;
  /** Largest request body, on the wire and after gzip inflation. */
  maxBodyBytes: number;
  /** Accepted controller clock skew (issue 5 item 3: ±60 s). */
  clockSkewSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['host', 'port', 'databaseUrl', 'maxBodyBytes', 'clockSkewSeconds', 'logLevel'],
  properties: {
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    databaseUrl: { type: 'string', pattern: '^postgres(ql)?://' },
    publicOrigin: { type: 'string', pattern: '^https?://[^/?#\\s]+$' },
    adminToken: { type: 'string', minLength: 16 },
    maxBodyBytes: { type: 'integer', minimum: 1024 },
    clockSkewSeconds: { type: 'integer', minimum: 0, maximum: 3600 },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
  },
} as const;

const ENV: Record<string, keyof CloudConfig> = {
  BULWARK_CLOUD_HOST: 'host',
  BULWARK_CLOUD_PORT: 'port',
  BULWARK_CLOUD_DATABASE_URL: 'databaseUrl',
  BULWARK_CLOUD_PUBLIC_ORIGIN: 'publicOrigin',
  BULWARK_CLOUD_ADMIN_TOKEN: 'adminToken',
  BULWARK_CLOUD_MAX_BODY_BYTES: 'maxBodyBytes',
  BULWARK_CLOUD_CLOCK_SKEW_SECONDS: 'clockSkewSeconds',
  BULWARK_CLOUD_LOG_LEVEL: 'logLevel',
};
const NUMERIC = new Set<string>(['port', 'maxBodyBytes', 'clockSkewSeconds']);
const MESSAGES: Record<string, string> = {
  databaseUrl: 'must be a postgres:// URL, e.g. postgres://postgres@127.0.0.1:5432/postgres',
  publicOrigin: 'must be scheme://host[:port] without a path, e.g. https://cloud.example.com',
  adminToken: 'must be at least 16 characters',
};

export function loadCloudConfig(env: NodeJS.ProcessEnv): CloudConfig {
  const problems: string[] = [];
  const merged: Record<string, unknown> = {
    host: '127.0.0.1',
    port: 8090,
    databaseUrl: DEFAULT_DATABASE_URL,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    clockSkewSeconds: 60,
    logLevel: 'info',
  };
  for (const [name, path] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (NUMERIC.has(path) && !/^\d+$/.test(raw)) {
      problems.push(`${name}: "${raw}" is not a whole number`);
      continue;
    }
    merged[path] = NUMERIC.has(path) ? Number(raw) : raw;
  }
  const validate = new Ajv({ allErrors: true }).compile<CloudConfig>(schema);
  if (!validate(merged)) {
    for (const e of validate.errors ?? []) {
      const path = e.instancePath.slice(1);
      const envName = Object.entries(ENV).find(([, p]) => p === path)?.[0];
      const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
      const message = allowed
        ? `must be one of ${allowed.join(', ')}`
        : (MESSAGES[path] ?? e.message ?? 'invalid');
      problems.push(`${envName ? `${envName} (${path})` : path || '(root)'}: ${message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return merged as unknown as CloudConfig;
}
