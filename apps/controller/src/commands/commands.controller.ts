/**
 * The command API (/api/v1). The HTTP caller commands as source 'operator'
 * (slot 8 by default); any slot the source does not own is refused.
 *
 * Status codes (every error is RFC 9457 problem details):
 *   400 malformed body or path: unknown field, wrong type, priority outside
 *       1..16 or not the operator's, expiresAt not in the future
 *   404 unknown point (and GET priority-array of a read-only point)
 *   409 the point is read-only: the request conflicts with what the point is
 *   422 the value is well-formed but outside the point's safety envelope
 *       (safe range, not 0/1 for a binary point, not a declared state)
 *   502 the device did not take the verified write; nothing was applied
 *   503 the controller is shutting down; nothing was done
 */
import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpException,
  HttpStatus,
  Inject,
  NotFoundException,
  Param,
  Post,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from '@nestjs/common';
import type { PriorityArrayDto } from '#libs/contracts';
import { CommandRefusedError, isPriority } from '#libs/priority';
import type { CommandSource } from '#libs/priority';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { mapErrors } from '../common/map-errors.js';
import { BodyError, parseCommandBody } from './command-body.js';
import { CommandWriteFailedError, ShuttingDownError, UnknownPointError } from './command-errors.js';
import { CommandService } from './command.service.js';
import { Audited } from '../audit/audit-context.js';
import type { AuditContext } from '../audit/audit-context.js';

const API_SOURCE: CommandSource = 'operator';
const API_DEFAULT_PRIORITY = 8;

@Controller('api/v1/points')
export class CommandsController {
  constructor(
    private readonly commands: CommandService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post(':id/commands')
  @HttpCode(201)
  async command(
    @Param('id') id: string,
    @Body() body: unknown,
    @Audited() audit: AuditContext,
  ): Promise<PriorityArrayDto> {
    return mapErrors(async () => {
      const parsed = parseCommandBody(body, this.clock.now(), API_DEFAULT_PRIORITY);
      audit.before = await this.arrayForAudit(id);
      // The audit entry commits with the change (and its event) in one transaction.
      return (audit.after = await this.commands.command(
        id,
        { ...parsed, source: API_SOURCE },
        audit.pending,
      ));
    }, toHttp);
  }

  @Delete(':id/commands/:priority')
  async relinquish(
    @Param('id') id: string,
    @Param('priority') raw: string,
    @Audited() audit: AuditContext,
  ): Promise<PriorityArrayDto> {
    return mapErrors(async () => {
      const priority = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
      if (!isPriority(priority)) throw new BodyError(`priority: ${raw} is not an integer 1..16`);
      audit.before = await this.arrayForAudit(id);
      return (audit.after = await this.commands.relinquish(id, priority, API_SOURCE, audit.pending));
    }, toHttp);
  }

  /** The priority array before a change, for the audit log; none for a point without one (the change is refused anyway). */
  private arrayForAudit(id: string): Promise<PriorityArrayDto | undefined> {
    return this.commands.priorityArray(id).catch(() => undefined);
  }

  @Get(':id/priority-array')
  async priorityArray(@Param('id') id: string): Promise<PriorityArrayDto> {
    return mapErrors(() => this.commands.priorityArray(id), toHttp);
  }
}

function toHttp(err: unknown): unknown {
  if (err instanceof BodyError) return new BadRequestException(err.message);
  if (err instanceof UnknownPointError) return new NotFoundException(err.message);
  if (err instanceof CommandWriteFailedError) return new HttpException(err.message, HttpStatus.BAD_GATEWAY);
  if (err instanceof ShuttingDownError) return new ServiceUnavailableException(err.message);
  if (!(err instanceof CommandRefusedError)) return err;
  switch (err.code) {
    case 'not-writable':
      return new ConflictException(err.message);
    case 'out-of-safe-range':
    case 'no-safe-range':
    case 'not-binary':
    case 'unknown-state':
      return new UnprocessableEntityException(err.message);
    case 'invalid-priority':
    case 'slot-not-owned':
      return new BadRequestException(`priority: ${err.message}`);
    case 'invalid-command':
    case 'lease-required':
    case 'lease-not-allowed':
    case 'lease-too-long':
    case 'lease-not-found':
    case 'lease-expired':
      return new BadRequestException(err.message);
  }
}
