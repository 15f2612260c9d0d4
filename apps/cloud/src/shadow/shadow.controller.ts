/**
 * Desired and reported state over HTTP (issue 5 item 6).
 *
 * Signed by a controller (SignedRequestGuard; the controller is the key's owner):
 *   GET  /api/v1/sync/ping                          200 {at}: the link's heartbeat
 *   GET  /api/v1/sync/desired?after=N&waitSeconds=S 200 DesiredState once its version > N,
 *                                                   204 when S seconds (max 60) pass first
 *   POST /api/v1/sync/reported                      ReportedState → 204
 * Admin (Bearer token):
 *   PUT  /api/v1/controllers/{id}/desired           {commands, configuration?} → the new DesiredState
 *   GET  /api/v1/controllers/{id}/state             desired + reported, per point who holds it
 */
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { DesiredState } from '#libs/sync';
import { Problem } from '../common/problem.js';
import { CLOCK, CLOUD_CONFIG } from '../common/tokens.js';
import type { Clock } from '../common/tokens.js';
import type { CloudConfig } from '../config/cloud-config.js';
import { AdminTokenGuard } from '../enrolment/admin-token.guard.js';
import { SignedRequestGuard, signedBy, signedJson } from '../sync-auth/signed-request.guard.js';
import { parseDesiredBody } from './desired-body.js';
import { parseReported } from './reported-body.js';
import { ShadowService } from './shadow.service.js';
import type { ControllerStateDto } from './shadow.service.js';

export const MAX_WAIT_SECONDS = 60;

@Controller('api/v1/sync')
@UseGuards(SignedRequestGuard)
export class ShadowSyncController {
  constructor(
    private readonly shadow: ShadowService,
    @Inject(CLOUD_CONFIG) private readonly config: CloudConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('ping')
  ping(): { at: string } {
    return { at: new Date(this.clock.now()).toISOString() };
  }

  @Get('desired')
  async desired(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DesiredState | undefined> {
    const after = wholeNumber(req.query.after, 'after', 0);
    const wait = Math.min(wholeNumber(req.query.waitSeconds, 'waitSeconds', 0), MAX_WAIT_SECONDS);
    const state = await this.shadow.waitDesired(signedBy(req).owner.controllerId, after, wait * 1000);
    if (state === null) {
      res.status(204);
      return undefined;
    }
    return state;
  }

  @Post('reported')
  @HttpCode(204)
  async reported(@Req() req: Request): Promise<void> {
    const report = parseReported(await signedJson(req, this.config.maxBodyBytes));
    await this.shadow.storeReported(signedBy(req).owner.controllerId, report);
  }
}

@Controller('api/v1/controllers')
@UseGuards(AdminTokenGuard)
export class ShadowAdminController {
  constructor(private readonly shadow: ShadowService) {}

  @Put(':id/desired')
  setDesired(@Param('id') id: string, @Body() body: unknown): Promise<DesiredState> {
    return this.shadow.setDesired(idOf(id), parseDesiredBody(body));
  }

  @Get(':id/state')
  state(@Param('id') id: string): Promise<ControllerStateDto> {
    return this.shadow.state(idOf(id));
  }
}

function wholeNumber(raw: unknown, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw))
    throw new Problem(400, 'invalid-query', `${name}: must be a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function idOf(raw: string): number {
  if (!/^\d{1,9}$/.test(raw))
    throw new Problem(400, 'invalid-input', `controller id must be a whole number, got "${raw}"`);
  return Number(raw);
}
