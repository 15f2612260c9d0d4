/**
 * The controller's clock as the cloud sees it (issue 5 item 3): signatures are
 * valid only within ±60 s of the cloud's time, so a controller whose clock is
 * off signs with its clock plus the offset learned from the cloud's `Date`
 * header. `Date` has one-second resolution (RFC 9110 §5.6.7): the cloud's time
 * at the answer lies in [Date, Date + 1 s), so the estimate is its middle at
 * the middle of the round trip, and the offset only moves when the new estimate
 * differs by more than that uncertainty, so it does not wobble on every answer.
 */
import type { Clock } from '../common/clock.js';

export class CloudClock implements Clock {
  private offset = 0;

  constructor(private readonly local: Clock) {}

  /** Local time plus the learned offset: what the signer uses. */
  now(): number {
    return this.local.now() + this.offset;
  }

  get offsetMs(): number {
    return this.offset;
  }

  /**
   * Learns from one answer's `Date` header. `sentAt`/`receivedAt` are local
   * times of the request and its answer. Returns true when the offset moved.
   */
  observe(dateHeader: string | null | undefined, sentAt: number, receivedAt: number): boolean {
    if (!dateHeader) return false;
    const cloudSecond = Date.parse(dateHeader);
    if (!Number.isFinite(cloudSecond)) return false;
    const uncertainty = 500 + (receivedAt - sentAt) / 2;
    const estimate = cloudSecond + 500 - (sentAt + receivedAt) / 2;
    if (Math.abs(estimate - this.offset) <= uncertainty) return false;
    this.offset = Math.round(estimate);
    return true;
  }
}
