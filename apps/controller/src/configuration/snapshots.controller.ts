/**
 * The snapshot API (/api/v1/snapshots): the configuration's versions, newest
 * first; one version whole; the diff of any two; rollback to any one as a new
 * version. Errors: see configuration-http.ts. Authorship is taken on trust
 * from X-Bulwark-User or the body until authentication exists.
 */
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Change, Configuration, Version } from '#libs/snapshots';
import { authorOf, BodyError, mapConfigurationErrors, USER_HEADER } from './configuration-http.js';
import { bodyParser } from './body-schema.js';
import { ConfigurationService } from './configuration.service.js';
import type { CommitAnswer } from './configuration.service.js';
import { Audited, versionsAround } from '../audit/audit-context.js';
import type { AuditContext } from '../audit/audit-context.js';

const MAX_LIMIT = 500;

function integer(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max)
    throw new BodyError(`${name}: ${JSON.stringify(raw)} is not an integer ${min}..${max}`);
  return value;
}

@Controller('api/v1/snapshots')
export class SnapshotsController {
  constructor(private readonly configuration: ConfigurationService) {}

  @Get()
  async list(
    @Query('limit') rawLimit?: string,
    @Query('offset') rawOffset?: string,
  ): Promise<{ head: string; limit: number; offset: number; versions: Version[] }> {
    return mapConfigurationErrors(async () => {
      const limit = integer(rawLimit, 'limit', 50, 1, MAX_LIMIT);
      const offset = integer(rawOffset, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
      const versions = await this.configuration.list(limit, offset);
      return { head: this.configuration.current().version.id, limit, offset, versions };
    });
  }

  @Get(':id')
  async get(
    @Param('id') id: string,
  ): Promise<{ version: Version; head: boolean; restartRequired: boolean; configuration: Configuration }> {
    return mapConfigurationErrors(async () => {
      const { version, configuration } = await this.configuration.get(id);
      return {
        version,
        head: version.id === this.configuration.current().version.id,
        restartRequired: this.configuration.restartRequired(configuration),
        configuration,
      };
    });
  }

  /** Changes that turn version `against` (default: the version's parent) into version `id`. */
  @Get(':id/diff')
  async diff(
    @Param('id') id: string,
    @Query('against') against?: string,
  ): Promise<{ from: string; to: string; changes: Change[] }> {
    return mapConfigurationErrors(async () => {
      const { version } = await this.configuration.get(id);
      const from = against ?? version.parent;
      if (from === null)
        throw new BodyError(
          `against: version ${id} is the first and has no parent; name one to compare with`,
        );
      return { from, to: id, changes: await this.configuration.diff(from, id) };
    });
  }

  @Post(':id/rollback')
  @HttpCode(201)
  async rollback(
    @Param('id') id: string,
    @Headers(USER_HEADER) user: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
    @Audited() audit: AuditContext,
  ): Promise<CommitAnswer> {
    return mapConfigurationErrors(async () => {
      const { author, message } = rollbackBody(body);
      const answer = await this.configuration.rollback(id, authorOf(user, author), message);
      const versions = versionsAround(answer);
      audit.before = { version: versions.before };
      audit.after = { version: versions.after, status: answer.status, rolledBackTo: id };
      if (answer.status === 'unchanged') res.status(200);
      return answer;
    });
  }
}

interface RollbackBody {
  author?: string;
  message?: string;
}

const parseRollbackBody = bodyParser<RollbackBody>({
  type: 'object',
  additionalProperties: false,
  properties: {
    author: { type: 'string', minLength: 1, maxLength: 100 },
    message: { type: 'string', maxLength: 500 },
  },
});

/** An empty or absent body is allowed: a rollback needs no more than its target. */
function rollbackBody(body: unknown): RollbackBody {
  return body === undefined || body === null ? {} : parseRollbackBody(body);
}
