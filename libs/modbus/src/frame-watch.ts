/**
 * Follows the MBAP framing (Modbus Messaging on TCP/IP Implementation Guide
 * 1.0b §3.1.3) of the bytes a Modbus TCP peer sends, alongside modbus-serial,
 * to name two faults it cannot: modbus-serial takes any 6 bytes for a header
 * and waits for as many bytes as their length field says, so garbage and a
 * truncated frame both look like silence until the request times out.
 *
 * - Garbage: a header whose protocol id is not 0, or whose length is outside
 *   2..254 (unit id + function code at least, unit id + the largest PDU of
 *   253 bytes at most, 1.1b3 §4.1), is reported at once through `onGarbage`.
 * - Truncated: when a reply is overdue, `partial()` says how much of a frame
 *   had arrived.
 *
 * It only counts bytes (no copies), so it costs a scan next to nothing.
 */

/** Unit id plus the largest PDU (MODBUS 1.1b3 §4.1). */
const MAX_MBAP_LENGTH = 254;
const HEADER = 6;

export class MbapFrameWatch {
  private readonly header = new Uint8Array(HEADER);
  private headerBytes = 0;
  /** Bytes of the current frame still to come after its header. */
  private remaining = 0;
  private frameBytes = 0;
  private broken = false;

  constructor(private readonly onGarbage: (what: string) => void) {}

  /** Follows the frames in `chunk`; the first header that cannot be Modbus TCP calls onGarbage, once. */
  push(chunk: Uint8Array): void {
    if (this.broken) return;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, n - i);
        this.remaining -= take;
        i += take;
        continue;
      }
      const h = this.header;
      while (this.headerBytes < HEADER && i < n) h[this.headerBytes++] = chunk[i++];
      if (this.headerBytes < HEADER) return;
      this.headerBytes = 0;
      const protocol = (h[2] << 8) | h[3];
      const length = (h[4] << 8) | h[5];
      if (protocol !== 0 || length < 2 || length > MAX_MBAP_LENGTH) {
        this.broken = true;
        this.onGarbage(
          `bytes ${hex(h)} are no Modbus TCP header (protocol id ${protocol}, length ${length}; ` +
            `want protocol id 0 and length 2..${MAX_MBAP_LENGTH})`,
        );
        return;
      }
      this.remaining = length;
      this.frameBytes = HEADER + length;
    }
  }

  /** How much of a frame has arrived when no whole frame has, or undefined between frames. */
  partial(): string | undefined {
    if (this.broken) return undefined;
    if (this.headerBytes > 0) return `${this.headerBytes} byte(s) of a ${HEADER}-byte MBAP header`;
    if (this.remaining > 0)
      return `${this.frameBytes - this.remaining} of the ${this.frameBytes} bytes its MBAP header announced`;
    return undefined;
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
