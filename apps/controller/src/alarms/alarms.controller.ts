/**
 * The alarm API (/api/v1/alarms). Every error is RFC 9457 problem details:
 *   400 a bad query parameter (named)
 *   404 no such alarm
 *   409 the alarm is already acknowledged (by whom and when is named)
 *   422 an acknowledgement without a person (`by`) or a `comment`, or with an
 *       unknown field (named)
 * Until authentication exists (a later issue) the person is taken from the
 * body; then it will be the signed-in user.
 */
import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
  UnprocessableEntityException,
} from '@nestjs/common';
import type { AlarmDto } from '#libs/contracts';
import { AlarmAlreadyAcknowledgedError, AlarmRequestError, UnknownAlarmError } from './alarm-errors.js';
import { AlarmQueryError, parseAcknowledgement, parseAlarmId, parseAlarmQuery } from './alarm-query.js';
import { AlarmService } from './alarm.service.js';
import { Audited } from '../audit/audit-context.js';
import type { AuditContext } from '../audit/audit-context.js';

@Controller('api/v1/alarms')
export class AlarmsController {
  constructor(private readonly alarms: AlarmService) {}

  /** Newest first; `state` defaults to `open` (active, acknowledged and cleared-unacknowledged). */
  @Get()
  list(@Query() raw: Record<string, unknown>): AlarmDto[] {
    try {
      return this.alarms.list(parseAlarmQuery(raw));
    } catch (err) {
      if (err instanceof AlarmQueryError) throw new BadRequestException(err.message);
      throw err;
    }
  }

  @Get(':id')
  get(@Param('id') raw: string): AlarmDto {
    const id = parseAlarmId(raw);
    const alarm = id === null ? undefined : this.alarms.get(id);
    if (!alarm) throw new NotFoundException(new UnknownAlarmError(raw).message);
    return alarm;
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  async acknowledge(
    @Param('id') raw: string,
    @Body() body: unknown,
    @Audited() audit: AuditContext,
  ): Promise<AlarmDto> {
    const id = parseAlarmId(raw);
    if (id === null) throw new NotFoundException(new UnknownAlarmError(raw).message);
    try {
      const { by, comment } = parseAcknowledgement(body);
      audit.before = this.alarms.get(id);
      return (audit.after = await this.alarms.acknowledge(id, by, comment));
    } catch (err) {
      if (err instanceof AlarmRequestError) throw new UnprocessableEntityException(err.message);
      if (err instanceof UnknownAlarmError) throw new NotFoundException(err.message);
      if (err instanceof AlarmAlreadyAcknowledgedError) throw new ConflictException(err.message);
      throw err;
    }
  }
}
