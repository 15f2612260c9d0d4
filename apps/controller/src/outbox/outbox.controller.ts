/**
 * GET /api/v1/outbox: the outbox's figures (backlog, oldest unsent, cap, rate,
 * runway). GET /api/v1/outbox/ledger?after=<id>&limit=<n>: the loss ledger,
 * oldest first, every thinning and refusal with its point, interval and
 * samples before and after. 400 problem details name a bad parameter.
 */
import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import type { OutboxStats } from './outbox.port.js';
import { OutboxService } from './outbox.service.js';
import type { LedgerRowDto } from './outbox.service.js';

export const MAX_LEDGER_PER_PAGE = 1000;

@Controller('api/v1/outbox')
export class OutboxController {
  constructor(private readonly outbox: OutboxService) {}

  @Get()
  stats(): OutboxStats {
    return this.outbox.stats();
  }

  @Get('ledger')
  ledger(@Query('after') after?: string, @Query('limit') limit?: string): LedgerRowDto[] {
    return this.outbox.ledger(
      wholeNumber('after', after, 0, Number.MAX_SAFE_INTEGER) ?? 0,
      wholeNumber('limit', limit, 1, MAX_LEDGER_PER_PAGE) ?? 100,
    );
  }
}

function wholeNumber(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max))
    throw new BadRequestException(`${name}: "${raw}" is not a whole number from ${min} to ${max}`);
  return n;
}
