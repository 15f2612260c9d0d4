/**
 * The link mode API (/api/v1/mode).
 *
 *   GET /api/v1/mode                  the link state, since when, the last
 *                                     success and failure, the driver, and the
 *                                     fallback schedules in force
 *   PUT /api/v1/mode/simulated-link   { "reachable": boolean }: switches the
 *                                     FAKE cloud of link driver 'manual' off or
 *                                     on (tests, the demo); 404 with any other
 *                                     driver, 400 on a malformed body
 */
import { BadRequestException, Body, Controller, Get, Inject, NotFoundException, Put } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ModeDto } from '#libs/contracts';
import { LOGGER } from '../common/tokens.js';
import { LinkService } from './link.service.js';

@Controller('api/v1/mode')
export class ModeController {
  constructor(
    private readonly link: LinkService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  @Get()
  mode(): ModeDto {
    return this.link.mode();
  }

  @Put('simulated-link')
  simulatedLink(@Body() body: unknown): ModeDto {
    const simulated = this.link.simulated;
    if (!simulated)
      throw new NotFoundException(
        `no simulated link: the link driver is '${this.link.driver}' (it exists only with link driver 'manual', e.g. BULWARK_LINK_DRIVER=manual)`,
      );
    const reachable = parseReachable(body);
    if (reachable !== simulated.reachable)
      this.log.warn(
        { reachable },
        `simulated link: the cloud is now ${reachable ? 'reachable' : 'unreachable'} (PUT /api/v1/mode/simulated-link)`,
      );
    simulated.setReachable(reachable);
    return this.link.mode();
  }
}

function parseReachable(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new BadRequestException('body: must be a JSON object { "reachable": boolean }');
  for (const key of Object.keys(body))
    if (key !== 'reachable') throw new BadRequestException(`${key}: unknown field (only "reachable")`);
  const { reachable } = body as { reachable?: unknown };
  if (reachable === undefined) throw new BadRequestException('reachable: is required');
  if (typeof reachable !== 'boolean')
    throw new BadRequestException(`reachable: must be boolean, got ${JSON.stringify(reachable)}`);
  return reachable;
}
