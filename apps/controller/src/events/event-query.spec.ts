import { describe, expect, it } from '@jest/globals';
import { QueryError } from '../common/list-query.js';
import { DEFAULT_EVENTS_PER_PAGE, parseEventQuery } from './event-query.js';

describe('parseEventQuery', () => {
  it('reads every filter', () => {
    expect(
      parseEventQuery({
        type: 'command,expiry',
        subject: 'vav-1-01.damper-cmd',
        source: 'operator',
        since: '2025-06-01T08:00:00Z',
        until: '2025-06-01T10:00:00+02:00',
        after: '17',
        limit: '1000',
      }),
    ).toEqual({
      types: ['command', 'expiry'],
      subject: 'vav-1-01.damper-cmd',
      source: 'operator',
      since: Date.parse('2025-06-01T08:00:00Z'),
      until: Date.parse('2025-06-01T08:00:00Z'),
      after: 17,
      limit: 1000,
    });
    expect(parseEventQuery({})).toEqual({ limit: DEFAULT_EVENTS_PER_PAGE });
  });

  it.each([
    [{ limit: '0' }, /^limit: "0" must be an integer 1\.\.1000$/],
    [{ limit: '1001' }, /^limit: /],
    [{ limit: '5.5' }, /^limit: /],
    [{ after: '-1' }, /^after: /],
    [{ type: 'command,nope' }, /^type: "nope" is not one of command, relinquish, expiry/],
    [{ since: '2025-06-01' }, /^since: "2025-06-01" is not an ISO 8601 instant/],
    [{ until: '2025-13-01T00:00:00Z' }, /^until: /],
    [{ subject: ['a', 'b'] }, /^subject: give it once/],
    [{ source: '' }, /^source: must not be empty/],
    [{ colour: 'red' }, /^colour: unknown parameter/],
  ])('refuses %j naming the parameter', (raw, message) => {
    expect(() => parseEventQuery(raw)).toThrow(QueryError);
    expect(() => parseEventQuery(raw)).toThrow(message);
  });
});
