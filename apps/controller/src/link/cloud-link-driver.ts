/**
 * Link driver 'cloud': the real one. The sync client (apps/controller/src/sync)
 * records the outcome of every request it makes to the cloud here (success,
 * failure with its reason, timeout), and the LinkMonitor follows that stream:
 * the link state is exactly what real exchanges show, nothing simulated.
 */
import { Subject } from 'rxjs';
import type { Observable } from 'rxjs';
import type { LinkDriver, LinkOutcome } from '#libs/link';

export class CloudLinkDriver implements LinkDriver {
  private readonly subject = new Subject<LinkOutcome>();
  readonly outcomes$: Observable<LinkOutcome> = this.subject.asObservable();
  private counts = { success: 0, failure: 0, timeout: 0 };

  record(outcome: LinkOutcome): void {
    this.counts[outcome.kind]++;
    this.subject.next(outcome);
  }

  /** How many outcomes of each kind were recorded since start. */
  get recorded(): Readonly<{ success: number; failure: number; timeout: number }> {
    return { ...this.counts };
  }

  complete(): void {
    this.subject.complete();
  }
}
