import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './controller-config.js';

const root = '/srv/bulwark';

describe('loadConfig', () => {
  it('defaults to the demo site on 127.0.0.1:8080 with the BACnet client off port 47808', () => {
    const c = loadConfig({}, root);
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, site: '/srv/bulwark/sites/demo-office.yaml' });
    expect(c.bacnet.port).not.toBe(47808);
    expect(c.database).toBe('/srv/bulwark/var/controller.sqlite');
  });

  it('takes the environment over the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'controller.yaml');
    writeFileSync(file, 'port: 9000\nhost: 127.0.0.2\nbacnet:\n  port: 47950\n');
    const c = loadConfig({ BULWARK_CONFIG: file, BULWARK_PORT: '9100' }, root);
    expect(c.port).toBe(9100);
    expect(c.host).toBe('127.0.0.2');
    expect(c.bacnet).toEqual({
      interface: '127.0.0.1',
      port: 47950,
      broadcastAddress: '127.255.255.255:47900',
    });
  });

  it('names every wrong variable and field at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ colour: 'blue' }));
    let err: unknown;
    try {
      loadConfig(
        {
          BULWARK_CONFIG: file,
          BULWARK_PORT: 'eighty',
          BULWARK_LOG_LEVEL: 'loud',
          BULWARK_BACNET_PORT: '70000',
        },
        root,
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).message;
    expect(text).toContain('BULWARK_PORT: "eighty" is not a port number');
    expect(text).toContain('BULWARK_LOG_LEVEL (logLevel)');
    expect(text).toContain('BULWARK_BACNET_PORT (bacnet.port): must be <= 65535');
    expect(text).toContain('colour');
  });

  describe('BACnet BBMD (foreign-device registration)', () => {
    const problemsOf = (env: NodeJS.ProcessEnv): string => {
      try {
        loadConfig(env, root);
      } catch (e) {
        if (e instanceof ConfigError) return e.message;
        throw e;
      }
      throw new Error('expected a ConfigError');
    };

    it('has none unless configured', () => {
      expect(loadConfig({}, root).bacnet.bbmd).toBeUndefined();
    });

    it('takes the BBMD and its time-to-live from the environment', () => {
      const c = loadConfig(
        { BULWARK_BACNET_BBMD: '192.168.1.10:47808', BULWARK_BACNET_BBMD_TTL: '600' },
        root,
      );
      expect(c.bacnet).toMatchObject({
        port: 47900,
        bbmd: { address: '192.168.1.10:47808', ttlSeconds: 600 },
      });
      // A bare host means the BACnet/IP port; the time-to-live is left to the client's default.
      expect(loadConfig({ BULWARK_BACNET_BBMD: 'bbmd.site.example' }, root).bacnet.bbmd).toEqual({
        address: 'bbmd.site.example',
      });
    });

    it('takes it from the config file, the environment winning', () => {
      const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
      const file = join(dir, 'controller.yaml');
      writeFileSync(file, 'bacnet:\n  bbmd:\n    address: 10.0.0.1:47808\n    ttlSeconds: 120\n');
      expect(loadConfig({ BULWARK_CONFIG: file }, root).bacnet.bbmd).toEqual({
        address: '10.0.0.1:47808',
        ttlSeconds: 120,
      });
      const c = loadConfig({ BULWARK_CONFIG: file, BULWARK_BACNET_BBMD: '10.0.0.2:47809' }, root);
      expect(c.bacnet.bbmd).toEqual({ address: '10.0.0.2:47809', ttlSeconds: 120 });
    });

    it('names a bad address, a bad time-to-live and a time-to-live without a BBMD', () => {
      const text = problemsOf({ BULWARK_BACNET_BBMD: '10.0.0.1:99999', BULWARK_BACNET_BBMD_TTL: '0' });
      expect(text).toContain('BULWARK_BACNET_BBMD (bacnet.bbmd.address): must be host:port (port 1..65535)');
      expect(text).toContain('BULWARK_BACNET_BBMD_TTL (bacnet.bbmd.ttlSeconds): must be >= 1');
      expect(problemsOf({ BULWARK_BACNET_BBMD: 'http://10.0.0.1' })).toContain('must be host:port');
      expect(problemsOf({ BULWARK_BACNET_BBMD: '10.0.0.1', BULWARK_BACNET_BBMD_TTL: 'soon' })).toContain(
        'BULWARK_BACNET_BBMD_TTL: "soon" is not a whole number',
      );
      expect(problemsOf({ BULWARK_BACNET_BBMD: '10.0.0.1', BULWARK_BACNET_BBMD_TTL: '70000' })).toContain(
        'must be <= 65535',
      );
      expect(problemsOf({ BULWARK_BACNET_BBMD_TTL: '300' })).toContain(
        "bacnet.bbmd: must have required property 'address'",
      );
    });
  });

  it("takes the cloud link driver 'none' by default, 'manual' from the environment, and names bad link settings", () => {
    expect(loadConfig({}, root).link).toEqual({ driver: 'none' });
    expect(loadConfig({ BULWARK_LINK_DRIVER: 'manual' }, root).link).toEqual({ driver: 'manual' });
    const problems = (env: NodeJS.ProcessEnv): string => {
      try {
        loadConfig(env, root);
      } catch (e) {
        return (e as ConfigError).message;
      }
      return '';
    };
    expect(problems({ BULWARK_LINK_DRIVER: 'carrier-pigeon' })).toContain(
      'BULWARK_LINK_DRIVER (link.driver): must be one of none, manual, cloud',
    );
    expect(problems({ BULWARK_LINK_DRIVER: 'cloud' })).toContain(
      "link.driver: 'cloud' needs cloud.url (BULWARK_CLOUD_URL)",
    );
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'link:\n  driver: manual\n  degradedAfterMs: 4500\n');
    expect(problems({ BULWARK_CONFIG: file })).toContain(
      'autonomousAfterMs (4000) must exceed degradedAfterMs (4500)',
    );
  });

  it("takes link driver 'cloud' when a cloud URL is set, with the sync defaults, and names a bad URL", () => {
    const config = loadConfig({ BULWARK_CLOUD_URL: 'http://127.0.0.1:4000', BULWARK_CLOUD_SITE: 'hq' }, root);
    expect(config.link).toEqual({ driver: 'cloud' });
    expect(config.cloud).toEqual({
      url: 'http://127.0.0.1:4000',
      site: 'hq',
      keyDir: join(root, 'var/keys'),
      batchMaxRecords: 2000,
      batchMaxBytes: 1024 * 1024,
      longPollSeconds: 25,
    });
    const manual = loadConfig({ BULWARK_CLOUD_URL: 'http://x:1', BULWARK_LINK_DRIVER: 'manual' }, root);
    expect(manual.link).toEqual({ driver: 'manual' });
    expect(() => loadConfig({ BULWARK_CLOUD_URL: 'ftp://x' }, root)).toThrow(/cloud\.url/);
  });

  it('reports an unreadable config file by name', () => {
    expect(() => loadConfig({ BULWARK_CONFIG: '/nonexistent/c.yaml' }, root)).toThrow(
      /BULWARK_CONFIG \(\/nonexistent\/c\.yaml\)/,
    );
  });
});
