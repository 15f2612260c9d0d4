/**
 * Admin API for sites, controllers and their keys (issue 5 item 2).
 * POST /api/v1/sites {slug, name?, organization?}
 * POST /api/v1/sites/{site}/controllers {name, publicKey} → enrolled, with the fingerprint
 * POST /api/v1/controllers/{id}/keys {publicKey} → rotation (two active keys at once)
 * DELETE /api/v1/controllers/{id}/keys/{fingerprint} → revoked
 */
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { Problem } from '../common/problem.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { EnrolmentService } from './enrolment.service.js';
import type { ControllerDto, EnrolResult, SiteDto } from './enrolment.service.js';

type Json = Record<string, unknown> | undefined;

@Controller('api/v1')
@UseGuards(AdminTokenGuard)
export class EnrolmentController {
  constructor(private readonly enrolment: EnrolmentService) {}

  @Post('sites')
  @HttpCode(201)
  createSite(@Body() body: Json): Promise<SiteDto> {
    const b = objectOf(body);
    return this.enrolment.createSite({ slug: b.slug, name: b.name, organization: b.organization });
  }

  @Get('sites')
  listSites(): Promise<SiteDto[]> {
    return this.enrolment.listSites();
  }

  @Post('sites/:site/controllers')
  async enrol(
    @Param('site') site: string,
    @Body() body: Json,
    @Res({ passthrough: true }) res: Response,
  ): Promise<EnrolResult> {
    const b = objectOf(body);
    const result = await this.enrolment.enrol(site, { name: b.name, publicKey: b.publicKey });
    res.status(result.created ? 201 : 200);
    return result;
  }

  @Get('sites/:site/controllers')
  listControllers(@Param('site') site: string): Promise<ControllerDto[]> {
    return this.enrolment.listControllers(site);
  }

  @Get('controllers/:id')
  controller(@Param('id') id: string): Promise<ControllerDto> {
    return this.enrolment.controller(idOf(id));
  }

  @Post('controllers/:id/keys')
  @HttpCode(201)
  addKey(
    @Param('id') id: string,
    @Body() body: Json,
  ): Promise<{ controller: ControllerDto; fingerprint: string }> {
    return this.enrolment.addKey(idOf(id), objectOf(body).publicKey);
  }

  @Delete('controllers/:id/keys/:fingerprint')
  revoke(@Param('id') id: string, @Param('fingerprint') fingerprint: string): Promise<ControllerDto> {
    return this.enrolment.revokeKey(idOf(id), fingerprint);
  }
}

function objectOf(body: Json): Record<string, unknown> {
  if (body === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Problem(
      400,
      'invalid-input',
      'the body must be a JSON object (Content-Type: application/json)',
    );
  }
  return body;
}

function idOf(text: string): number {
  if (!/^[1-9]\d{0,9}$/.test(text) || Number(text) > 2147483647) {
    throw new Problem(400, 'invalid-input', `controller id must be a positive integer, got "${text}"`);
  }
  return Number(text);
}
