/**
 * A refusal with a stable machine-readable `reason` (RFC 9457 extension
 * member), e.g. a SignatureError code or 'sequence-gap'. The filter writes
 * `reason` and any other extension members beside the standard ones.
 */
import { HttpException } from '@nestjs/common';

export class Problem extends HttpException {
  constructor(
    status: number,
    readonly reason: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail, status);
  }
}
