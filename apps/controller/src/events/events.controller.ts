/**
 * GET /api/v1/events: the event log, filtered and paged (see event-store.ts
 * for the order). 400 problem details name a bad parameter.
 */
import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import type { EventDto } from '#libs/contracts';
import { QueryError } from '../common/list-query.js';
import { parseEventQuery } from './event-query.js';
import { SqliteEventStore } from './event-store.js';

@Controller('api/v1/events')
export class EventsController {
  constructor(private readonly store: SqliteEventStore) {}

  @Get()
  list(@Query() raw: Record<string, unknown>): EventDto[] {
    try {
      return this.store.list(parseEventQuery(raw));
    } catch (err) {
      if (err instanceof QueryError) throw new BadRequestException(err.message);
      throw err;
    }
  }
}
