/**
 * Schedules and calendars (/api/v1/schedules, /api/v1/calendars), as parts of
 * the configuration: every PUT or DELETE is an edit that makes a new snapshot
 * version (its id is in the answer) after the whole configuration passed the
 * site file's validators (unknown calendars, times past 24:00, overlapping
 * exceptions of equal priority, invalid zones, unknown or read-only targets,
 * values a target cannot take). Schedules follow the new head live.
 *
 *   400 malformed body (field named); 404 unknown schedule or calendar;
 *   409 deleting a calendar that schedules still use (they are named);
 *   422 the edit would make the configuration invalid (part and field named).
 *
 * No authentication exists yet (a later issue): the author is the
 * X-Bulwark-User header, or 'api'.
 */
import { Body, Controller, Delete, Get, Headers, Inject, Param, Put, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Calendar } from '#libs/schedules';
import type { Version } from '#libs/snapshots';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import type { ControllerSchedule } from '../configuration/configuration.port.js';
import {
  authorOf,
  ConflictError,
  mapConfigurationErrors,
  NotFoundError,
  USER_HEADER,
} from '../configuration/configuration-http.js';
import { ConfigurationService } from '../configuration/configuration.service.js';
import { parseCalendarBody, parseScheduleBody } from './schedule-bodies.js';
import { scheduleView } from './schedule-view.js';
import { Audited, versionsAround } from '../audit/audit-context.js';
import type { AuditContext } from '../audit/audit-context.js';
import type { ScheduleView } from './schedule-view.js';

interface EditAnswer {
  status: 'created' | 'unchanged';
  version: Version;
  restartRequired: boolean;
}

@Controller('api/v1/schedules')
export class SchedulesController {
  constructor(
    private readonly configuration: ConfigurationService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  list(): { version: string; schedules: ScheduleView[] } {
    const { version, configuration } = this.configuration.current();
    const now = new Date(this.clock.now());
    return {
      version: version.id,
      schedules: Object.values(configuration.schedules).map((s) =>
        scheduleView(s as ControllerSchedule, configuration, now),
      ),
    };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<ScheduleView & { version: string }> {
    return mapConfigurationErrors(() => {
      const { version, configuration } = this.configuration.current();
      const schedule = configuration.schedules[id] as ControllerSchedule | undefined;
      if (!Object.hasOwn(configuration.schedules, id) || schedule === undefined)
        throw new NotFoundError(`no schedule "${id}"`);
      return Promise.resolve({
        ...scheduleView(schedule, configuration, new Date(this.clock.now())),
        version: version.id,
      });
    });
  }

  /** Creates (201) or replaces (200) the schedule. */
  @Put(':id')
  async put(
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers(USER_HEADER) user: string | undefined,
    @Res({ passthrough: true }) res: Response,
    @Audited() audit: AuditContext,
  ): Promise<EditAnswer & { schedule: ScheduleView }> {
    return mapConfigurationErrors(async () => {
      const schedule = parseScheduleBody(id, body);
      const author = authorOf(user);
      const exists = Object.hasOwn(this.configuration.current().configuration.schedules, id);
      let before: unknown = null;
      const answer = await this.configuration.edit(
        author,
        `${exists ? 'replace' : 'create'} schedule ${id}`,
        (draft) => {
          before = draft.schedules[id] ?? null;
          draft.schedules[id] = schedule;
        },
      );
      const versions = versionsAround(answer);
      audit.before = { version: versions.before, schedule: before };
      audit.after = { version: versions.after, schedule };
      res.status(answer.status === 'created' && !exists ? 201 : 200);
      const { configuration } = this.configuration.current();
      return {
        ...answer,
        schedule: scheduleView(schedule, configuration, new Date(this.clock.now())),
      };
    });
  }

  @Delete(':id')
  async remove(
    @Param('id') id: string,
    @Headers(USER_HEADER) user: string | undefined,
    @Audited() audit: AuditContext,
  ): Promise<EditAnswer> {
    return mapConfigurationErrors(async () => {
      const answer = await this.configuration.edit(authorOf(user), `delete schedule ${id}`, (draft) => {
        if (!Object.hasOwn(draft.schedules, id)) throw new NotFoundError(`no schedule "${id}"`);
        audit.before = { schedule: draft.schedules[id] };
        delete draft.schedules[id];
      });
      const versions = versionsAround(answer);
      audit.before = { version: versions.before, ...(audit.before as object) };
      audit.after = { version: versions.after, schedule: null };
      return answer;
    });
  }
}

@Controller('api/v1/calendars')
export class CalendarsController {
  constructor(private readonly configuration: ConfigurationService) {}

  @Get()
  list(): { version: string; calendars: Calendar[] } {
    const { version, configuration } = this.configuration.current();
    return { version: version.id, calendars: Object.values(configuration.calendars) as Calendar[] };
  }

  @Get(':name')
  async get(@Param('name') name: string): Promise<Calendar & { version: string }> {
    return mapConfigurationErrors(() => {
      const { version, configuration } = this.configuration.current();
      if (!Object.hasOwn(configuration.calendars, name)) throw new NotFoundError(`no calendar "${name}"`);
      return Promise.resolve({ ...(configuration.calendars[name] as Calendar), version: version.id });
    });
  }

  /** Creates (201) or replaces (200) the calendar. */
  @Put(':name')
  async put(
    @Param('name') name: string,
    @Body() body: unknown,
    @Headers(USER_HEADER) user: string | undefined,
    @Res({ passthrough: true }) res: Response,
    @Audited() audit: AuditContext,
  ): Promise<EditAnswer & { calendar: Calendar }> {
    return mapConfigurationErrors(async () => {
      const calendar = parseCalendarBody(name, body);
      const exists = Object.hasOwn(this.configuration.current().configuration.calendars, name);
      let before: unknown = null;
      const answer = await this.configuration.edit(
        authorOf(user),
        `${exists ? 'replace' : 'create'} calendar ${name}`,
        (draft) => {
          before = draft.calendars[name] ?? null;
          draft.calendars[name] = calendar;
        },
      );
      const versions = versionsAround(answer);
      audit.before = { version: versions.before, calendar: before };
      audit.after = { version: versions.after, calendar };
      res.status(answer.status === 'created' && !exists ? 201 : 200);
      return { ...answer, calendar };
    });
  }

  @Delete(':name')
  async remove(
    @Param('name') name: string,
    @Headers(USER_HEADER) user: string | undefined,
    @Audited() audit: AuditContext,
  ): Promise<EditAnswer> {
    return mapConfigurationErrors(async () => {
      const answer = await this.configuration.edit(authorOf(user), `delete calendar ${name}`, (draft) => {
        if (!Object.hasOwn(draft.calendars, name)) throw new NotFoundError(`no calendar "${name}"`);
        const users = Object.values(draft.schedules as Record<string, ControllerSchedule>)
          .filter((s) =>
            s.exceptions.some((ex) => ex.period.kind === 'calendar' && ex.period.calendar === name),
          )
          .map((s) => `"${s.id}"`);
        if (users.length > 0)
          throw new ConflictError(
            `calendar "${name}" is used by schedule(s) ${users.join(', ')}: change them first`,
          );
        audit.before = { calendar: draft.calendars[name] };
        delete draft.calendars[name];
      });
      const versions = versionsAround(answer);
      audit.before = { version: versions.before, ...(audit.before as object) };
      audit.after = { version: versions.after, calendar: null };
      return answer;
    });
  }
}
