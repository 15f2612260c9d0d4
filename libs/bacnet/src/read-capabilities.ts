/**
 * What a client has learned about reading one device: whether it takes
 * ReadPropertyMultiple, and how large an answer it can send in one APDU.
 * Starts from what is known (the profile's quirks, or what its I-Am said),
 * and only ever narrows, from what the device does: a Reject of RPM turns RPM
 * off, an abort (segmentation-not-supported, buffer-overflow, ...) or a
 * timeout of a batch larger than any it answered halves the answer budget.
 * The caller keeps one per device for the life of the process.
 */

/** The largest APDU on B/IP (ASHRAE 135 Table 6-1) and the largest we ever accept. */
export const MAX_APDU_BIP = 1476;

/** Legal max-APDU-length-accepted values (§20.1.2.5). */
export const MAX_APDU_VALUES = [50, 128, 206, 480, 1024, 1476] as const;

export type Segmentation = 'both' | 'transmit' | 'receive' | 'none';

export interface LearnedEvent {
  at: number;
  what: string;
}

export class ReadCapabilities {
  private rpmOn: boolean;
  private budgetOctets: number;
  private provenOctets = 0;
  private readonly log: LearnedEvent[] = [];

  constructor(
    o: { rpm: boolean; maxApdu?: number; segmentation?: Segmentation },
    private readonly now: () => number = Date.now,
    private readonly onLearn?: (what: string) => void,
  ) {
    this.rpmOn = o.rpm;
    // We never accept segmented answers (wire.ts refuseSegmentedResponses), so whatever the device's
    // segmentation, one answer must fit one APDU of the device's size.
    this.budgetOctets = Math.min(o.maxApdu ?? MAX_APDU_BIP, MAX_APDU_BIP);
    this.segmentationSupported = o.segmentation ?? 'none';
  }

  /** Reported for self-tests and drafts; batching does not rely on it (see the constructor). */
  readonly segmentationSupported: Segmentation;

  get rpm(): boolean {
    return this.rpmOn;
  }

  /** The largest answer (octets) a batch may be sized for. */
  get budget(): number {
    return this.budgetOctets;
  }

  /** The largest answer (octets) the device has sent us. */
  get proven(): number {
    return this.provenOctets;
  }

  get events(): readonly LearnedEvent[] {
    return this.log;
  }

  /** An I-Am (or a read of the device object) told us the device's max APDU: only ever narrows. */
  setMaxApdu(maxApdu: number): void {
    if (maxApdu > 0 && maxApdu < this.budgetOctets) {
      this.learn(`max APDU ${maxApdu} (budget ${this.budgetOctets} → ${maxApdu})`);
      this.budgetOctets = maxApdu;
    }
  }

  answered(octets: number): void {
    if (octets > this.provenOctets) this.provenOctets = octets;
  }

  rpmRejected(reason: string): void {
    if (!this.rpmOn) return;
    this.rpmOn = false;
    this.learn(`ReadPropertyMultiple refused (${reason}): ReadProperty from now on`);
  }

  /**
   * A batch whose answer would take `octets` failed as too large: the budget
   * drops to the next legal max-APDU below it (a device's real limit is one
   * of them, §20.1.2.5: 1476 → 1024 → 480 → 206 → 128 → 50), never below
   * what the device has already answered; under 50, to half.
   */
  tooLarge(octets: number, reason: string): void {
    const below = [...MAX_APDU_VALUES].reverse().find((v) => v < octets);
    const next = Math.max(this.provenOctets, below ?? Math.floor(octets / 2));
    if (next >= this.budgetOctets) return;
    this.learn(`answer of ~${octets} octets failed (${reason}): budget ${this.budgetOctets} → ${next}`);
    this.budgetOctets = next;
  }

  private learn(what: string): void {
    this.log.push({ at: this.now(), what });
    if (this.log.length > 50) this.log.shift();
    this.onLearn?.(what);
  }
}

/** The largest legal max-APDU value not above `n` (a device may report any number; profiles take the enum). */
export function legalMaxApdu(n: number): (typeof MAX_APDU_VALUES)[number] {
  let best: (typeof MAX_APDU_VALUES)[number] = 50;
  for (const v of MAX_APDU_VALUES) if (v <= n) best = v;
  return best;
}
