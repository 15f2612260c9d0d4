import { describe, expect, it } from '@jest/globals';
import { AlarmRequestError } from './alarm-errors.js';
import { AlarmQueryError, parseAcknowledgement, parseAlarmId, parseAlarmQuery } from './alarm-query.js';

describe('alarm API input', () => {
  it('lists open alarms by default and reads state, kind, subject and limit', () => {
    expect(parseAlarmQuery({})).toEqual({ state: 'open', limit: 100 });
    expect(parseAlarmQuery({ state: 'cleared', kind: 'comm-fail', subject: 'vav-1-01', limit: '5' })).toEqual(
      {
        state: 'cleared',
        kind: 'comm-fail',
        subject: 'vav-1-01',
        limit: 5,
      },
    );
  });

  it.each([
    [
      { state: 'sleeping' },
      /^state: "sleeping" is not one of open, active, acknowledged, cleared, closed, all$/,
    ],
    [{ kind: 'fire' }, /^kind: "fire" is not one of comm-fail/],
    [{ limit: '1001' }, /^limit: /],
    [{ sort: 'asc' }, /^sort: unknown parameter/],
  ])('refuses the query %j naming the parameter', (raw, message) => {
    expect(() => parseAlarmQuery(raw)).toThrow(AlarmQueryError);
    expect(() => parseAlarmQuery(raw)).toThrow(message);
  });

  it('takes positive integer ids only', () => {
    expect(parseAlarmId('42')).toBe(42);
    for (const bad of ['0', '-1', '4.2', 'abc', '01', '99999999999999999'])
      expect(parseAlarmId(bad)).toBeNull();
  });

  it('needs a person and a comment to acknowledge, trimmed', () => {
    expect(parseAcknowledgement({ by: ' Dana ', comment: ' seen ' })).toEqual({
      by: 'Dana',
      comment: 'seen',
    });
    const cases: Array<[unknown, RegExp]> = [
      [{ comment: 'x' }, /^by: is required/],
      [{ by: 'Dana' }, /^comment: is required/],
      [{ by: 'Dana', comment: '   ' }, /^comment: must not be empty/],
      [{ by: 7, comment: 'x' }, /^by: must be a string/],
      [{ by: 'Dana', comment: 'x', at: 'now' }, /^at: unknown field/],
      [{ by: 'Dana', comment: 'x'.repeat(2001) }, /^comment: longer than 2000/],
      [['Dana', 'x'], /^body: must be a JSON object/],
      [null, /^body: must be a JSON object/],
    ];
    for (const [body, message] of cases) {
      expect(() => parseAcknowledgement(body)).toThrow(AlarmRequestError);
      expect(() => parseAcknowledgement(body)).toThrow(message);
    }
  });
});
