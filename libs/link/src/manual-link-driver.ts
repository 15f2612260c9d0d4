/**
 * The seam between whatever talks to the cloud and the LinkMonitor: a stream
 * of exchange outcomes. The cloud-sync client implements LinkDriver for real;
 * ManualLinkDriver is the fake (CONVENTIONS.md: a fake driver shipped beside the
 * real ones) that tests, the demo and the sync client's own tests drive by hand.
 */
import { Subject } from 'rxjs';
import type { Observable } from 'rxjs';
import type { LinkOutcome } from './types.js';

export interface LinkDriver {
  readonly outcomes$: Observable<LinkOutcome>;
}

/** A fake LinkDriver: each call emits one outcome, synchronously. */
export class ManualLinkDriver implements LinkDriver {
  private readonly subject = new Subject<LinkOutcome>();
  readonly outcomes$: Observable<LinkOutcome> = this.subject.asObservable();

  succeed(): void {
    this.emit({ kind: 'success' });
  }

  fail(reason = 'unreachable'): void {
    this.emit({ kind: 'failure', reason });
  }

  timeOut(): void {
    this.emit({ kind: 'timeout' });
  }

  emit(outcome: LinkOutcome): void {
    this.subject.next(outcome);
  }

  /** Ends the stream, as a sync client does when it shuts down. */
  complete(): void {
    this.subject.complete();
  }
}
