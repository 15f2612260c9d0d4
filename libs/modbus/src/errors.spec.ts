import { describe, expect, it } from '@jest/globals';
import { exceptionName, ModbusError, toModbusError } from './errors.js';

/** The shapes modbus-serial 8.0.25 rejects with (see its index.js and ports/tcpport.js). */
function plain(fields: Record<string, unknown>): unknown {
  return { ...fields }; // its TransactionTimedOutError and PortNotOpenError are not Error instances
}

describe('toModbusError', () => {
  it('maps modbusCode to kind exception with the §7 name', () => {
    const err = Object.assign(new Error('Modbus exception 2: Illegal data address'), { modbusCode: 2 });
    const e = toModbusError(err, 'read', 'request');
    expect(e).toBeInstanceOf(ModbusError);
    expect([e.kind, e.exceptionCode, e.exceptionName]).toEqual(['exception', 2, 'illegal-data-address']);
    expect(e.message).toBe('read: Modbus exception 2 (illegal-data-address)');
    expect(e.cause).toBe(err);
  });

  it('maps "Timed out" / ETIMEDOUT to kind timeout', () => {
    expect(toModbusError(plain({ message: 'Timed out', errno: 'ETIMEDOUT' }), 'r', 'request').kind).toBe(
      'timeout',
    );
  });

  it.each([
    'CRC error',
    'Data length error, expected 9 got 7',
    'Unexpected data error, expected address 4 got 5',
  ])('maps "%s" to kind bad-response', (message) => {
    expect(toModbusError(new Error(message), 'r', 'request').kind).toBe('bad-response');
  });

  it('maps a parse failure on a short frame to kind bad-response', () => {
    expect(toModbusError(new RangeError('The value of "offset" is out of range.'), 'r', 'request').kind).toBe(
      'bad-response',
    );
  });

  it.each([
    plain({ message: 'Port Not Open', errno: 'ECONNREFUSED' }),
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }),
    new Error('Error: No such file or directory, cannot open /dev/ttyX'),
  ])('maps closed ports and refused connections to kind connection (%#)', (err) => {
    expect(toModbusError(err, 'r', 'request').kind).toBe('connection');
  });

  it('makes every failure while connecting a connection error, even a timeout', () => {
    expect(toModbusError(new Error('TCP Connection Timed Out'), 'c', 'connect').kind).toBe('connection');
    expect(toModbusError(plain({ message: 'Timed out' }), 'c', 'connect').kind).toBe('connection');
  });

  it('returns a ModbusError unchanged', () => {
    const e = new ModbusError('timeout', 'x');
    expect(toModbusError(e, 'y', 'request')).toBe(e);
  });
});

describe('exceptionName', () => {
  it('names codes §7 does not define as unknown-exception', () => {
    expect(exceptionName(7)).toBe('unknown-exception');
    expect(exceptionName(0x0b)).toBe('gateway-target-failed-to-respond');
  });
});
