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

  it('reports an unreadable config file by name', () => {
    expect(() => loadConfig({ BULWARK_CONFIG: '/nonexistent/c.yaml' }, root)).toThrow(
      /BULWARK_CONFIG \(\/nonexistent\/c\.yaml\)/,
    );
  });
});
