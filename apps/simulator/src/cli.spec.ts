import { describe, expect, it } from '@jest/globals';
import { CliError, parseCli } from './cli.js';

describe('simulator command line', () => {
  it('collects faults per device from repeated flags', () => {
    const cli = parseCli(
      [
        '--site',
        's.yaml',
        '--offline',
        'vav-1',
        '--slow',
        'meter:250',
        '--exception',
        'meter:6',
        '--stuck',
        'vav-2.zone_temp=35.5',
        '--out-of-range',
        'vav-2.discharge_temp',
      ],
      {},
    );
    expect(cli.site).toBe('s.yaml');
    expect(cli.control).toEqual({ host: '127.0.0.1', port: 8070 });
    expect(cli.faults.get('vav-1')).toEqual({ offline: true });
    expect(cli.faults.get('meter')).toEqual({ delayMs: 250, exceptionCode: 6 });
    expect(cli.faults.get('vav-2')).toEqual({ stuck: { zone_temp: 35.5 }, outOfRange: ['discharge_temp'] });
  });

  it('gives BACnet devices Schedule and Calendar objects on request', () => {
    const cli = parseCli(['--schedule-objects', 'ahu-1:2', '--schedule-objects', 'vav-1-01:1'], {});
    expect([...cli.scheduleObjects]).toEqual([
      ['ahu-1', 2],
      ['vav-1-01', 1],
    ]);
    expect(parseCli([], {}).scheduleObjects.size).toBe(0);
  });

  it('turns the control API off on request', () => {
    expect(parseCli(['--control', 'off'], {}).control).toBeNull();
  });

  it.each([
    [['--slow', 'meter'], /--slow: expected DEVICE:MS/],
    [['--slow', 'meter:fast'], /--slow: "fast" is not a number/],
    [['--stuck', 'vav.zone=warm'], /--stuck: "warm" is not a number/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['--schedule-objects', 'ahu-1'], /--schedule-objects: expected DEVICE:COUNT/],
    [['--schedule-objects', 'ahu-1:0'], /--schedule-objects: COUNT must be a whole number 1..64, got "0"/],
  ])('rejects %j naming the flag', (args, message) => {
    expect(() => parseCli(args, {})).toThrow(CliError);
    expect(() => parseCli(args, {})).toThrow(message);
  });
});
