/**
 * Invariants of the link monitor over generated outcome histories on a fake
 * clock: the state changes only on an outcome or at a deadline; AUTONOMOUS
 * comes exactly autonomousAfterMs after the last success and no later; never
 * while successes arrive at least every degradedAfterMs; CONNECTED only after
 * the required successes since the previous transition (no flapping); and the
 * transitions are a function of the input history.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DEFAULT_LINK_OPTIONS, FakeClock, LinkMonitor } from './index.js';
import type { LinkOptions, LinkOutcome, LinkState, LinkTransition } from './index.js';

const RUNS = 500;
const T0 = 1_000_000;

type Step = { dt: number; outcome: LinkOutcome | undefined };
const outcomeArb: fc.Arbitrary<LinkOutcome | undefined> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<LinkOutcome>({ kind: 'success' }) },
  { weight: 2, arbitrary: fc.constant<LinkOutcome>({ kind: 'failure', reason: 'x' }) },
  { weight: 1, arbitrary: fc.constant<LinkOutcome>({ kind: 'timeout' }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
const stepsArb = (maxDt: number, outcome = outcomeArb): fc.Arbitrary<Step[]> =>
  fc.array(fc.record({ dt: fc.integer({ min: 0, max: maxDt }), outcome }), { maxLength: 60 });
const optionsArb: fc.Arbitrary<LinkOptions> = fc
  .record({
    degradedAfterMs: fc.integer({ min: 100, max: 3000 }),
    extra: fc.integer({ min: 1, max: 5000 }),
    reconnectAfterSuccesses: fc.integer({ min: 1, max: 4 }),
    recoverAfterSuccesses: fc.integer({ min: 1, max: 5 }),
    recoverMinMs: fc.integer({ min: 0, max: 4000 }),
    initialState: fc.constantFrom<LinkOptions['initialState']>('CONNECTED', 'AUTONOMOUS'),
  })
  .map(({ extra, ...o }) => ({ ...o, autonomousAfterMs: o.degradedAfterMs + extra }));

interface Observed {
  transition: LinkTransition;
  /** Emitted inside record() (an outcome), or from a timer during advance(). */
  byOutcome: boolean;
  /** Last success (or the start, when starting CONNECTED) before the transition. */
  lastContact: number | undefined;
  /** Successes recorded since the previous transition (or the start). */
  successesSince: number;
}

function drive(options: LinkOptions, steps: Step[]) {
  const clock = new FakeClock(T0);
  const monitor = new LinkMonitor(clock, options);
  const observed: Observed[] = [];
  const samples: Array<{ at: number; state: LinkState; lastContact: number | undefined }> = [];
  let inRecord = false;
  let lastContact = options.initialState === 'CONNECTED' ? T0 : undefined;
  let successesSince = 0;
  monitor.transitions$.subscribe((transition) => {
    observed.push({ transition, byOutcome: inRecord, lastContact, successesSince });
    successesSince = 0;
  });
  const sample = () => samples.push({ at: clock.now(), state: monitor.state, lastContact });
  for (const { dt, outcome } of [...steps, { dt: options.autonomousAfterMs + 1000, outcome: undefined }]) {
    clock.advance(dt);
    sample();
    if (outcome === undefined) continue;
    inRecord = true;
    if (outcome.kind === 'success') successesSince++;
    monitor.record(outcome);
    if (outcome.kind === 'success') lastContact = clock.now();
    inRecord = false;
    sample();
  }
  return { observed, samples, monitor };
}

describe('LinkMonitor properties', () => {
  it('changes state only on an outcome or at a deadline, and detects loss exactly autonomousAfterMs after the last success', () => {
    fc.assert(
      fc.property(optionsArb, stepsArb(4000), (options, steps) => {
        const { observed, samples } = drive(options, steps);
        let state: LinkState = options.initialState;
        for (const { transition, byOutcome, lastContact } of observed) {
          expect(transition.from).toBe(state);
          expect(transition.to).not.toBe(state);
          state = transition.to;
          const silence = transition.cause === 'silence';
          // a silence comes from a timer, at its deadline; every other cause from an outcome, inside record()
          expect(byOutcome).toBe(!silence);
          const afterMs = transition.to === 'DEGRADED' ? options.degradedAfterMs : options.autonomousAfterMs;
          const deadline = silence ? lastContact! + afterMs : transition.at;
          expect(transition.at).toBe(deadline);
        }
        const missed = samples.filter(
          ({ at, state: seen, lastContact }) =>
            (lastContact === undefined || at - lastContact >= options.autonomousAfterMs) &&
            seen !== 'AUTONOMOUS',
        );
        expect(missed).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('never reaches AUTONOMOUS while successes arrive at least every degradedAfterMs, failures or not', () => {
    const between = fc.array(
      fc.constantFrom<LinkOutcome>({ kind: 'failure', reason: 'x' }, { kind: 'timeout' }),
      {
        maxLength: 3,
      },
    );
    fc.assert(
      fc.property(
        optionsArb.map((o) => ({ ...o, initialState: 'CONNECTED' as const })),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), between), { maxLength: 60 }),
        (options, beats) => {
          const clock = new FakeClock(T0);
          const monitor = new LinkMonitor(clock, options);
          const states: LinkState[] = [];
          monitor.state$.subscribe((s) => states.push(s));
          for (const [fraction, failures] of beats) {
            // failures spread inside the gap, then the success at most degradedAfterMs after the previous one
            const start = clock.now();
            const gap = Math.max(1, Math.round(fraction * options.degradedAfterMs));
            failures.forEach((failure, i) => {
              clock.advanceTo(start + Math.floor((gap * (i + 1)) / (failures.length + 1)));
              monitor.record(failure);
            });
            clock.advanceTo(start + gap);
            monitor.record({ kind: 'success' });
          }
          expect(states).not.toContain('AUTONOMOUS');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('enters CONNECTED only after the required consecutive successes since the previous transition', () => {
    fc.assert(
      fc.property(optionsArb, stepsArb(2500), (options, steps) => {
        const { observed } = drive(options, steps);
        for (const { transition, successesSince } of observed.filter(
          (o) => o.transition.to === 'CONNECTED',
        )) {
          const needed =
            transition.from === 'DEGRADED' ? options.reconnectAfterSuccesses : options.recoverAfterSuccesses;
          expect(successesSince).toBeGreaterThanOrEqual(needed);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('gives the same transitions for the same history', () => {
    fc.assert(
      fc.property(optionsArb, stepsArb(4000), (options, steps) => {
        expect(drive(options, steps).observed).toEqual(drive(options, steps).observed);
      }),
      { numRuns: 100 },
    );
  });

  it('with defaults, a steady heartbeat under 2 s keeps the link CONNECTED with no transition', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: DEFAULT_LINK_OPTIONS.degradedAfterMs - 1 }), { maxLength: 100 }),
        (gaps) => {
          const clock = new FakeClock(T0);
          const monitor = new LinkMonitor(clock, { initialState: 'CONNECTED' });
          const transitions: LinkTransition[] = [];
          monitor.transitions$.subscribe((t) => transitions.push(t));
          for (const gap of gaps) {
            clock.advance(gap);
            monitor.record({ kind: 'success' });
          }
          expect(transitions).toEqual([]);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
