import { describe, expect, it } from '@jest/globals';
import { errorInfo, FieldbusError, isDeviceFailure } from './errors.js';

describe('FieldbusError', () => {
  it('carries a stable code and a message, from a code or from an info', () => {
    const cause = new Error('socket');
    const a = new FieldbusError('timeout', 'unit 3: no response', { cause });
    expect([a.name, a.code, a.info, a.message, a.cause]).toEqual([
      'FieldbusError',
      'timeout',
      { code: 'timeout', message: 'unit 3: no response' },
      'timeout: unit 3: no response',
      cause,
    ]);
    const b = new FieldbusError({ code: 'modbus-exception:illegal-function', message: 'fn 22' });
    expect(b.code).toBe('modbus-exception:illegal-function');
    expect(b).toBeInstanceOf(Error);
  });

  it('tells a device that did not answer from one that answered with a refusal', () => {
    expect(
      ['timeout', 'connection', 'bad-response'].map((c) => isDeviceFailure(new FieldbusError(c, ''))),
    ).toEqual([true, true, true]);
    expect(isDeviceFailure(new FieldbusError('modbus-exception:illegal-data-address', ''))).toBe(false);
    expect(isDeviceFailure(new FieldbusError('breaker-open', ''))).toBe(false);
    expect(isDeviceFailure(new Error('bug'))).toBe(false);
  });

  it('names anything thrown', () => {
    expect(errorInfo(new TypeError('x is undefined'))).toEqual({
      code: 'internal',
      message: 'TypeError: x is undefined',
    });
    expect(errorInfo('plain')).toEqual({ code: 'internal', message: 'plain' });
  });
});
