/**
 * The link state machine on a fake clock: exact transition sequences with
 * timestamps, detection within 5 s of the last success on every path,
 * hysteresis (no flapping), the observables, the fake driver, and options.
 */
import { describe, expect, it } from '@jest/globals';
import { DEFAULT_LINK_OPTIONS, FakeClock, LinkMonitor, LinkOptionsError, ManualLinkDriver } from './index.js';
import type { LinkClock, LinkOptions, LinkState, LinkTransition } from './index.js';

const T0 = 1_700_000_000_000;

function setup(options: Partial<LinkOptions> = { initialState: 'CONNECTED' }) {
  const clock = new FakeClock(T0);
  const monitor = new LinkMonitor(clock, options);
  const driver = new ManualLinkDriver();
  monitor.follow(driver.outcomes$);
  const transitions: LinkTransition[] = [];
  const states: LinkState[] = [];
  monitor.transitions$.subscribe((t) => transitions.push(t));
  monitor.state$.subscribe((s) => states.push(s));
  /** Relative milliseconds since T0. */
  const at = (ms: number) => clock.advanceTo(T0 + ms);
  const seq = () => transitions.map((t) => [t.from, t.to, t.at - T0, t.cause] as const);
  return { clock, monitor, driver, transitions, states, at, seq };
}

/** Successes every `every` ms from `from` up to and including `to` (relative). */
function heartbeat(s: ReturnType<typeof setup>, from: number, to: number, every = 1000): void {
  for (let t = from; t <= to; t += every) {
    s.at(t);
    s.driver.succeed();
  }
}

describe('defaults', () => {
  it('detect within 5 s, start AUTONOMOUS and need 3 successes over 2 s to recover', () => {
    expect(DEFAULT_LINK_OPTIONS).toEqual({
      degradedAfterMs: 2000,
      autonomousAfterMs: 5000,
      reconnectAfterSuccesses: 2,
      recoverAfterSuccesses: 3,
      recoverMinMs: 2000,
      initialState: 'AUTONOMOUS',
    });
    const monitor = new LinkMonitor(new FakeClock(T0));
    expect(monitor.status()).toEqual({ state: 'AUTONOMOUS', since: T0, successStreak: 0 });
  });
});

describe('loss detection: AUTONOMOUS exactly 5 s after the last success, on every path', () => {
  it('silence from CONNECTED: DEGRADED at +2 s, AUTONOMOUS at +5 s', () => {
    const s = setup();
    heartbeat(s, 0, 10_000);
    s.at(60_000);
    expect(s.seq()).toEqual([
      ['CONNECTED', 'DEGRADED', 12_000, 'silence'],
      ['DEGRADED', 'AUTONOMOUS', 15_000, 'silence'],
    ]);
    expect(s.transitions.map((t) => t.reason)).toEqual([
      'no successful exchange for 2000 ms',
      'no successful exchange for 5000 ms',
    ]);
  });

  it('failures from CONNECTED: DEGRADED on the first, AUTONOMOUS 5 s after the last success', () => {
    const s = setup();
    heartbeat(s, 0, 10_000);
    for (let t = 10_500; t <= 20_000; t += 500) {
      s.at(t);
      s.driver.fail('ECONNREFUSED');
    }
    expect(s.seq()).toEqual([
      ['CONNECTED', 'DEGRADED', 10_500, 'failure'],
      ['DEGRADED', 'AUTONOMOUS', 15_000, 'silence'],
    ]);
    expect(s.transitions[0].reason).toBe('request failed: ECONNREFUSED');
  });

  it('timeouts from CONNECTED', () => {
    const s = setup();
    s.at(1000);
    s.driver.succeed();
    s.at(4000); // the request sent at 1000 took 3 s: but silence already degraded the link at 3000
    s.driver.timeOut();
    s.at(5000);
    s.driver.timeOut();
    s.at(7000);
    expect(s.seq()).toEqual([
      ['CONNECTED', 'DEGRADED', 3000, 'silence'],
      ['DEGRADED', 'AUTONOMOUS', 6000, 'silence'],
    ]);
    expect(s.monitor.status().lastFailure).toEqual({ at: T0 + 5000, reason: 'request timed out' });
  });

  it('a lone success while DEGRADED moves the deadline to 5 s after it', () => {
    const s = setup();
    s.at(1000);
    s.driver.fail('503');
    s.at(3000);
    s.driver.succeed(); // one of the two needed to reconnect
    s.at(7999);
    expect(s.monitor.state).toBe('DEGRADED');
    s.at(8000);
    expect(s.seq()).toEqual([
      ['CONNECTED', 'DEGRADED', 1000, 'failure'],
      ['DEGRADED', 'AUTONOMOUS', 8000, 'silence'],
    ]);
  });

  it('starting CONNECTED counts the start as the last success', () => {
    const s = setup();
    s.at(10_000);
    expect(s.seq()).toEqual([
      ['CONNECTED', 'DEGRADED', 2000, 'silence'],
      ['DEGRADED', 'AUTONOMOUS', 5000, 'silence'],
    ]);
  });

  it('after recovering from AUTONOMOUS, a new loss is detected 5 s after the last success again', () => {
    const s = setup({});
    heartbeat(s, 0, 2000);
    s.at(20_000);
    expect(s.seq()).toEqual([
      ['AUTONOMOUS', 'CONNECTED', 2000, 'recovered'],
      ['CONNECTED', 'DEGRADED', 4000, 'silence'],
      ['DEGRADED', 'AUTONOMOUS', 7000, 'silence'],
    ]);
  });
});

describe('recovery and hysteresis', () => {
  it('DEGRADED → CONNECTED after 2 consecutive successes; a failure in between restarts the count', () => {
    const s = setup();
    s.at(500);
    s.driver.fail('reset');
    s.at(1000);
    s.driver.succeed();
    s.at(1500);
    s.driver.fail('reset');
    s.at(2000);
    s.driver.succeed();
    expect(s.monitor.status().successStreak).toBe(1);
    s.at(2500);
    s.driver.succeed();
    expect(s.seq()).toEqual([
      ['CONNECTED', 'DEGRADED', 500, 'failure'],
      ['DEGRADED', 'CONNECTED', 2500, 'recovered'],
    ]);
    expect(s.transitions[1].reason).toBe('2 consecutive successful exchanges');
  });

  it('AUTONOMOUS → CONNECTED needs 3 successes spread over 2 s, not 3 in a burst', () => {
    const s = setup({});
    for (const t of [0, 50, 100, 150]) {
      s.at(t);
      s.driver.succeed();
    }
    expect(s.monitor.state).toBe('AUTONOMOUS');
    expect(s.monitor.status().successStreak).toBe(4);
    heartbeat(s, 1000, 2000);
    expect(s.seq()).toEqual([['AUTONOMOUS', 'CONNECTED', 2000, 'recovered']]);
    expect(s.transitions[0].reason).toBe('6 consecutive successful exchanges over 2000 ms');
  });

  it('a gap of degradedAfterMs between successes, or a failure, restarts the recovery count', () => {
    const s = setup({});
    heartbeat(s, 0, 1000); // 2 successes
    s.at(3000); // 2 s gap
    s.driver.succeed();
    expect(s.monitor.status().successStreak).toBe(1);
    s.at(4000);
    s.driver.succeed();
    s.at(4500);
    s.driver.timeOut();
    expect(s.monitor.status().successStreak).toBe(0);
    heartbeat(s, 5000, 7000);
    expect(s.seq()).toEqual([['AUTONOMOUS', 'CONNECTED', 7000, 'recovered']]);
  });

  it('does not flap under alternating outcomes: one transition in a minute, never AUTONOMOUS', () => {
    const s = setup();
    for (let t = 500; t <= 60_000; t += 500) {
      s.at(t);
      if (t % 1000 === 0) s.driver.succeed();
      else s.driver.fail('flaky');
    }
    expect(s.seq()).toEqual([['CONNECTED', 'DEGRADED', 500, 'failure']]);
    expect(s.states).toEqual(['CONNECTED', 'DEGRADED']);
  });

  it('stays AUTONOMOUS under alternating outcomes', () => {
    const s = setup({});
    for (let t = 0; t <= 60_000; t += 500) {
      s.at(t);
      if (t % 1000 === 0) s.driver.succeed();
      else s.driver.fail('flaky');
    }
    expect(s.transitions).toEqual([]);
  });

  it('is never left by successes counted before it was entered', () => {
    const s = setup();
    s.at(1000);
    s.driver.succeed();
    s.at(2999);
    s.driver.succeed(); // streak of 2 in CONNECTED
    s.at(3000);
    s.driver.fail('x'); // DEGRADED: the count starts again
    s.at(3100);
    s.driver.succeed();
    expect(s.monitor.state).toBe('DEGRADED');
  });
});

describe('observables and the fake driver', () => {
  it('state$ gives the current state to each subscriber, then distinct states only', () => {
    const s = setup();
    s.at(100);
    s.driver.fail('a');
    s.driver.fail('b');
    const late: LinkState[] = [];
    s.monitor.state$.subscribe((state) => late.push(state));
    s.at(10_000);
    expect(s.states).toEqual(['CONNECTED', 'DEGRADED', 'AUTONOMOUS']);
    expect(late).toEqual(['DEGRADED', 'AUTONOMOUS']);
  });

  it('transitions carry from, to, at, reason and cause', () => {
    const s = setup();
    s.at(250);
    s.driver.emit({ kind: 'failure', reason: 'TLS handshake' });
    expect(s.transitions).toEqual([
      {
        from: 'CONNECTED',
        to: 'DEGRADED',
        at: T0 + 250,
        reason: 'request failed: TLS handshake',
        cause: 'failure',
      },
    ]);
    expect(s.monitor.status()).toEqual({
      state: 'DEGRADED',
      since: T0 + 250,
      lastFailure: { at: T0 + 250, reason: 'request failed: TLS handshake' },
      successStreak: 0,
    });
  });

  it('follow stops at unsubscribe; close cancels the timer, completes both streams and ignores outcomes', () => {
    const s = setup();
    const clock = s.clock;
    const other = new ManualLinkDriver();
    const subscription = s.monitor.follow(other.outcomes$);
    subscription.unsubscribe();
    other.fail('ignored');
    expect(s.monitor.state).toBe('CONNECTED');
    let completed = 0;
    s.monitor.state$.subscribe({ complete: () => completed++ });
    s.monitor.transitions$.subscribe({ complete: () => completed++ });
    expect(clock.pendingTimers()).toBe(1);
    s.monitor.close();
    expect(clock.pendingTimers()).toBe(0);
    expect(completed).toBe(2);
    s.driver.fail('after close');
    clock.advance(60_000);
    expect(s.monitor.state).toBe('CONNECTED');
    expect(s.transitions).toEqual([]);
  });
  it('a driver that completes ends the follow subscription, and the monitor keeps its state', () => {
    const s = setup();
    const driver = new ManualLinkDriver();
    const subscription = s.monitor.follow(driver.outcomes$);
    driver.timeOut();
    driver.complete();
    expect(subscription.closed).toBe(true);
    expect(s.monitor.state).toBe('DEGRADED');
  });
});

describe('a timer that fires late', () => {
  it('is caught up by the next outcome: overdue deadlines apply first, stamped with the time seen', () => {
    let now = T0;
    const lazy: LinkClock = { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined };
    const monitor = new LinkMonitor(lazy, { initialState: 'CONNECTED' });
    const transitions: LinkTransition[] = [];
    monitor.transitions$.subscribe((t) => transitions.push(t));
    now = T0 + 6000;
    monitor.record({ kind: 'success' });
    expect(transitions.map((t) => [t.to, t.at - T0])).toEqual([
      ['DEGRADED', 6000],
      ['AUTONOMOUS', 6000],
    ]);
    expect(monitor.status().successStreak).toBe(1);
  });
});

describe('options', () => {
  it.each<[Partial<LinkOptions>, RegExp]>([
    [{ degradedAfterMs: 0 }, /degradedAfterMs must be a number >= 1, got 0/],
    [{ autonomousAfterMs: Number.NaN }, /autonomousAfterMs must be a number >= 1, got NaN/],
    [{ degradedAfterMs: 5000 }, /autonomousAfterMs \(5000\) must exceed degradedAfterMs \(5000\)/],
    [{ recoverAfterSuccesses: 1.5 }, /recoverAfterSuccesses must be an integer >= 1/],
    [{ reconnectAfterSuccesses: 0 }, /reconnectAfterSuccesses must be an integer >= 1/],
    [{ recoverMinMs: -1 }, /recoverMinMs must be a number >= 0/],
    [
      { initialState: 'DEGRADED' as 'CONNECTED' },
      /initialState must be AUTONOMOUS or CONNECTED, got DEGRADED/,
    ],
  ])('refuses %j with LinkOptionsError naming the option', (options, message) => {
    expect(() => new LinkMonitor(new FakeClock(), options)).toThrow(LinkOptionsError);
    expect(() => new LinkMonitor(new FakeClock(), options)).toThrow(message);
  });

  it('takes shorter detection times', () => {
    const s = setup({ initialState: 'CONNECTED', degradedAfterMs: 500, autonomousAfterMs: 1500 });
    s.at(5000);
    expect(s.seq()).toEqual([
      ['CONNECTED', 'DEGRADED', 500, 'silence'],
      ['DEGRADED', 'AUTONOMOUS', 1500, 'silence'],
    ]);
  });
});
