/**
 * LinkMonitor: the cloud link as a state machine driven by exchange outcomes
 * and the passage of time (issue 4 item 4, DESIGN.md point 5). Rules, with the
 * defaults of options.ts in brackets:
 *
 * - CONNECTED → DEGRADED on the first failure or timeout, or when no exchange
 *   has succeeded for `degradedAfterMs` [2 s].
 * - CONNECTED or DEGRADED → AUTONOMOUS when the last success is
 *   `autonomousAfterMs` [5 s] old (the start counts as a success when starting
 *   CONNECTED). This is the detection time: on every path, AUTONOMOUS is reached
 *   exactly `autonomousAfterMs` after the last success, and never while
 *   successes keep coming at least every `degradedAfterMs`.
 * - DEGRADED → CONNECTED after `reconnectAfterSuccesses` [2] consecutive successes.
 * - AUTONOMOUS → CONNECTED after `recoverAfterSuccesses` [3] consecutive
 *   successes spread over at least `recoverMinMs` [2 s]. There is no way from
 *   AUTONOMOUS to DEGRADED: the fallback steps back only once the link is proven.
 *
 * Successes are consecutive when no failure or timeout comes between them and
 * each follows the previous by less than `degradedAfterMs`. Every way into
 * DEGRADED or AUTONOMOUS (a failure, or a silence of at least `degradedAfterMs`)
 * breaks the count, so a state is never left on successes from before it was
 * entered. This is the hysteresis: alternating successes and failures leave the
 * link DEGRADED (one transition), never flapping.
 *
 * Deadlines are inclusive (`now >= lastSuccess + degradedAfterMs`). The state
 * changes only in `record` (an outcome) or in a timer set for the next deadline;
 * `record` first applies deadlines already due, so a timer that fires late cannot
 * reorder a deadline and an outcome. Transitions are stamped with the clock's time when they happen.
 */
import { BehaviorSubject, distinctUntilChanged, Subject } from 'rxjs';
import type { Observable, Subscription } from 'rxjs';
import type { LinkClock, LinkTimerHandle } from './clock.js';
import { resolveLinkOptions } from './options.js';
import type { LinkOptions } from './options.js';
import type { LinkCause, LinkOutcome, LinkState, LinkStatus, LinkTransition } from './types.js';

interface Streak {
  count: number;
  first: number;
  last: number;
}

export class LinkMonitor {
  /** Distinct states, starting with the current one for each subscriber. */
  readonly state$: Observable<LinkState>;
  /** Every transition, as it happens (hot: no replay). */
  readonly transitions$: Observable<LinkTransition>;
  readonly options: Readonly<LinkOptions>;

  private readonly states: BehaviorSubject<LinkState>;
  private readonly transitionSubject = new Subject<LinkTransition>();
  private current: LinkState;
  private since: number;
  /** The last success, or the start when starting CONNECTED: the reference for both deadlines. */
  private lastContact: number | undefined;
  private lastSuccessAt: number | undefined;
  private lastFailure: { at: number; reason: string } | undefined;
  private streak: Streak | undefined;
  private timer: LinkTimerHandle | undefined;
  private closed = false;

  /** Throws LinkOptionsError on options that make no sense (e.g. autonomousAfterMs <= degradedAfterMs). */
  constructor(
    private readonly clock: LinkClock,
    options: Partial<LinkOptions> = {},
  ) {
    this.options = Object.freeze(resolveLinkOptions(options));
    this.current = this.options.initialState;
    this.since = clock.now();
    if (this.current === 'CONNECTED') this.lastContact = this.since;
    this.states = new BehaviorSubject<LinkState>(this.current);
    this.state$ = this.states.pipe(distinctUntilChanged());
    this.transitions$ = this.transitionSubject.asObservable();
    this.schedule();
  }

  get state(): LinkState {
    return this.current;
  }

  status(): LinkStatus {
    return {
      state: this.current,
      since: this.since,
      ...(this.lastSuccessAt === undefined ? {} : { lastSuccessAt: this.lastSuccessAt }),
      ...(this.lastFailure === undefined ? {} : { lastFailure: { ...this.lastFailure } }),
      successStreak: this.current === 'CONNECTED' ? 0 : (this.streak?.count ?? 0),
    };
  }

  /** One exchange's outcome, at the clock's current time. Ignored after `close()`. */
  record(outcome: LinkOutcome): void {
    if (this.closed) return;
    const now = this.clock.now();
    this.applyDeadlines(now);
    if (outcome.kind === 'success') this.onSuccess(now);
    else {
      const reason = outcome.kind === 'timeout' ? 'request timed out' : `request failed: ${outcome.reason}`;
      this.streak = undefined;
      this.lastFailure = { at: now, reason };
      if (this.current === 'CONNECTED') this.transition('DEGRADED', now, reason, outcome.kind);
    }
    this.schedule();
  }

  /** Records every outcome of `outcomes` (a driver's stream) until unsubscribed or closed. */
  follow(outcomes: Observable<LinkOutcome>): Subscription {
    return outcomes.subscribe((outcome) => this.record(outcome));
  }

  /** Stops the timer and completes both observables. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    this.transitionSubject.complete();
    this.states.complete();
  }

  private onSuccess(now: number): void {
    const { degradedAfterMs, reconnectAfterSuccesses, recoverAfterSuccesses, recoverMinMs } = this.options;
    const streak = this.streak;
    this.streak =
      streak !== undefined && now - streak.last < degradedAfterMs
        ? { count: streak.count + 1, first: streak.first, last: now }
        : { count: 1, first: now, last: now };
    this.lastContact = now;
    this.lastSuccessAt = now;
    const { count, first } = this.streak;
    if (this.current === 'DEGRADED' && count >= reconnectAfterSuccesses)
      this.transition('CONNECTED', now, `${count} consecutive successful exchanges`, 'recovered');
    else if (this.current === 'AUTONOMOUS' && count >= recoverAfterSuccesses && now - first >= recoverMinMs)
      this.transition(
        'CONNECTED',
        now,
        `${count} consecutive successful exchanges over ${now - first} ms`,
        'recovered',
      );
  }

  /** The next time-driven transition, if the current state has one. */
  private deadline(): { at: number; to: LinkState; afterMs: number } | undefined {
    if (this.current === 'AUTONOMOUS' || this.lastContact === undefined) return undefined;
    const afterMs =
      this.current === 'CONNECTED' ? this.options.degradedAfterMs : this.options.autonomousAfterMs;
    const to = this.current === 'CONNECTED' ? 'DEGRADED' : 'AUTONOMOUS';
    return { at: this.lastContact + afterMs, to, afterMs };
  }

  private applyDeadlines(now: number): void {
    for (let due = this.deadline(); due !== undefined && now >= due.at; due = this.deadline())
      this.transition(due.to, now, `no successful exchange for ${due.afterMs} ms`, 'silence');
  }

  private schedule(): void {
    this.clearTimer();
    const due = this.deadline();
    if (this.closed || due === undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      this.applyDeadlines(this.clock.now());
      this.schedule();
    }, due.at - this.clock.now());
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private transition(to: LinkState, at: number, reason: string, cause: LinkCause): void {
    const from = this.current;
    this.current = to;
    this.since = at;
    this.transitionSubject.next({ from, to, at, reason, cause });
    this.states.next(to);
  }
}
