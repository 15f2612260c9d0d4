import { describe, expect, it } from '@jest/globals';
import {
  ConfigError,
  DEFAULT_DATABASE_URL,
  DEFAULT_MAX_BODY_BYTES,
  loadCloudConfig,
} from './cloud-config.js';

describe('loadCloudConfig', () => {
  it('defaults to 127.0.0.1:8090 on the local postgres database, admin API closed', () => {
    expect(loadCloudConfig({})).toEqual({
      host: '127.0.0.1',
      port: 8090,
      databaseUrl: DEFAULT_DATABASE_URL,
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      clockSkewSeconds: 60,
      logLevel: 'info',
    });
  });

  it('reads every BULWARK_CLOUD_* variable', () => {
    const config = loadCloudConfig({
      BULWARK_CLOUD_HOST: '0.0.0.0',
      BULWARK_CLOUD_PORT: '9000',
      BULWARK_CLOUD_DATABASE_URL: 'postgresql://u@db:5432/cloud',
      BULWARK_CLOUD_PUBLIC_ORIGIN: 'https://cloud.example.com',
      BULWARK_CLOUD_ADMIN_TOKEN: 'a-long-enough-admin-token',
      BULWARK_CLOUD_MAX_BODY_BYTES: '1048576',
      BULWARK_CLOUD_CLOCK_SKEW_SECONDS: '30',
      BULWARK_CLOUD_LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      publicOrigin: 'https://cloud.example.com',
      adminToken: 'a-long-enough-admin-token',
      maxBodyBytes: 1048576,
      clockSkewSeconds: 30,
      logLevel: 'warn',
    });
  });

  it('names every wrong variable at once', () => {
    let error: unknown;
    try {
      loadCloudConfig({
        BULWARK_CLOUD_PORT: 'eighty',
        BULWARK_CLOUD_DATABASE_URL: 'mysql://x',
        BULWARK_CLOUD_PUBLIC_ORIGIN: 'https://cloud.example.com/api',
        BULWARK_CLOUD_ADMIN_TOKEN: 'short',
        BULWARK_CLOUD_LOG_LEVEL: 'loud',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'BULWARK_CLOUD_PORT: "eighty" is not a whole number',
      'BULWARK_CLOUD_DATABASE_URL (databaseUrl): must be a postgres:// URL, e.g. postgres://postgres@127.0.0.1:5432/postgres',
      'BULWARK_CLOUD_PUBLIC_ORIGIN (publicOrigin): must be scheme://host[:port] without a path, e.g. https://cloud.example.com',
      'BULWARK_CLOUD_ADMIN_TOKEN (adminToken): must be at least 16 characters',
      'BULWARK_CLOUD_LOG_LEVEL (logLevel): must be one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });
});
