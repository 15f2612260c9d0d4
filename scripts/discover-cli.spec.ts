import { describe, expect, it } from '@jest/globals';
import { DiscoverCliError, expandTargets, parseDiscoverCli } from './discover-cli.js';
import { Progress, bar } from './discover-progress.js';

describe('npm run discover: command line', () => {
  it('expands port ranges, last-octet ranges, lists, and the default port 47808', () => {
    expect(expandTargets('127.0.0.1:47811-47813')).toEqual([
      '127.0.0.1:47811',
      '127.0.0.1:47812',
      '127.0.0.1:47813',
    ]);
    expect(expandTargets('10.0.0.20-21, 10.0.1.5:47809')).toEqual([
      '10.0.0.20:47808',
      '10.0.0.21:47808',
      '10.0.1.5:47809',
    ]);
    expect(expandTargets('bms-router.local:47808')).toEqual(['bms-router.local:47808']);
    expect(() => expandTargets('10.0.0.30-20')).toThrow(/runs backwards/);
    expect(() => expandTargets('10.0.0.1:99999')).toThrow(/1\.\.65535/);
    expect(() => expandTargets('10.0.0.0-255:1-1000')).toThrow(/more than 65536/);
  });

  it('reads every flag, with --flag=value too, and keeps the defaults otherwise', () => {
    const cli = parseDiscoverCli([
      '-t',
      '127.0.0.1:47811-47812',
      '--target=127.0.0.1:47900',
      '--instances',
      '1000-1999',
      '--wait',
      '300',
      '--out',
      '/tmp/x',
      '--site-name',
      'Harbourside',
      '--poll-interval=2000',
    ]);
    expect(cli).toMatchObject({
      targets: ['127.0.0.1:47811', '127.0.0.1:47812', '127.0.0.1:47900'],
      lowLimit: 1000,
      highLimit: 1999,
      waitMs: 300,
      timeoutMs: 2000,
      out: '/tmp/x',
      siteName: 'Harbourside',
      pollIntervalMs: 2000,
      interface: '0.0.0.0',
      port: 0,
    });
    expect(parseDiscoverCli(['--broadcast']).broadcast).toBe('255.255.255.255:47808');
    expect(parseDiscoverCli(['-b', '192.168.1.255:47808', '--port', '47808']).broadcast).toBe(
      '192.168.1.255:47808',
    );
    expect(parseDiscoverCli(['--bbmd', '10.1.1.1', '--ttl', '120'])).toMatchObject({
      bbmd: '10.1.1.1:47808',
      ttlSeconds: 120,
    });
    expect(parseDiscoverCli(['--help']).help).toBe(true);
  });

  it('names what is wrong: nowhere to look, unknown flag, missing or bad value', () => {
    expect(() => parseDiscoverCli([])).toThrow(/say where to look/);
    expect(() => parseDiscoverCli(['-t', '127.0.0.1:1', '--frobnicate'])).toThrow(
      /unknown option "--frobnicate"/,
    );
    expect(() => parseDiscoverCli(['-t'])).toThrow(/-t needs a value/);
    expect(() => parseDiscoverCli(['-t', '127.0.0.1:1', '--instances', '5-x'])).toThrow(DiscoverCliError);
    expect(() => parseDiscoverCli(['-t', '127.0.0.1:1', '--ttl', '0'])).toThrow(
      /--ttl: expected an integer 1\.\.65535/,
    );
  });
});

describe('npm run discover: progress', () => {
  it('draws a bar in place on a terminal', () => {
    const written: string[] = [];
    const p = new Progress({ isTTY: true, columns: 120, write: (t) => written.push(t) });
    p.update({ phase: 'who-is', done: 2, total: 8, found: 1, current: '127.0.0.1:47812' });
    p.done();
    expect(bar(2, 8, 8)).toBe('[##------]');
    expect(written[0]).toMatch(/^\rWho-Is {2}\[######-+\] 2\/8 targets · 1 found · 127\.0\.0\.1:47812$/);
    expect(written[1]).toBe('\n');
  });

  it('writes plain lines when not on a terminal: targets that found something, and each device read', () => {
    const written: string[] = [];
    const p = new Progress({ isTTY: false, write: (t) => written.push(t) });
    for (let done = 1; done <= 40; done++)
      p.update({ phase: 'who-is', done, total: 40, found: done === 7 ? 1 : 0 });
    p.update({ phase: 'read', done: 0, total: 1, found: 1, current: 'device 5: object 3/9' });
    p.update({ phase: 'read', done: 1, total: 1, found: 1 });
    expect(written.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
    expect(written).toContain('Who-Is 7/40 targets, 1 device(s) found\n');
    expect(written.filter((l) => l.startsWith('Who-Is'))).toHaveLength(11); // every 4th of 40, plus the find at 7
    expect(written[written.length - 1]).toBe('Reading 1/1 devices, 1 device(s) found\n');
  });
});
