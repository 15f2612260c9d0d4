/**
 * GET /api/v1/audit: the audit log, filtered (actor, target, since, until)
 * and paged (after=<id> pages forward, oldest first; limit ≤ 1000). 400
 * problem details name a bad parameter. There is no way to change or remove
 * an entry.
 */
import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { QueryError } from '../common/list-query.js';
import { parseAuditQuery } from './audit-query.js';
import { AuditStore } from './audit-store.js';
import type { AuditEntryDto } from './audit-store.js';

@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly store: AuditStore) {}

  @Get()
  list(@Query() raw: Record<string, unknown>): AuditEntryDto[] {
    try {
      return this.store.list(parseAuditQuery(raw));
    } catch (err) {
      if (err instanceof QueryError) throw new BadRequestException(err.message);
      throw err;
    }
  }
}
