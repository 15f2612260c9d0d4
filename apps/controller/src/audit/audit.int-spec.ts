/**
 * The audit log on a real SQLite file, through a small Nest app with the
 * interceptor installed as in the controller: each state-changing request
 * writes one entry and one 'audit' outbox record in one transaction (neither
 * without the other), refusals are recorded with their status and problem,
 * reads are not recorded, the table refuses UPDATE and DELETE, and
 * GET /api/v1/audit filters and pages.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  Body,
  Controller,
  Delete,
  Get,
  Param,
  Post,
  Put,
  UnprocessableEntityException,
} from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { pino } from 'pino';
import { DataSource } from 'typeorm';
import type { AuditBody } from '#libs/sync';
import { CLOCK } from '../common/clock.js';
import { ProblemDetailsFilter } from '../common/problem-details.filter.js';
import { LOGGER } from '../common/tokens.js';
import { dataSourceOptions } from '../database/data-source.js';
import { SqliteJournal } from '../events/sqlite-journal.js';
import { Audited } from './audit-context.js';
import type { AuditContext } from './audit-context.js';
import { AuditController } from './audit.controller.js';
import { AuditInterceptor } from './audit.interceptor.js';
import { AuditStore } from './audit-store.js';
import type { AuditEntryDto } from './audit-store.js';

const T0 = Date.parse('2025-06-02T08:00:00Z');

@Controller('api/v1/things')
class ThingsController {
  @Put(':id')
  put(@Param('id') id: string, @Body() body: unknown, @Audited() audit: AuditContext): unknown {
    audit.before = { value: 1 };
    audit.after = body;
    return { id, ok: true };
  }

  @Post(':id/refuse')
  refuse(@Audited() audit: AuditContext): never {
    audit.before = { value: 1 };
    throw new UnprocessableEntityException('value: 99 is outside the safe range 0..10');
  }

  @Delete(':id')
  remove(): { ok: boolean } {
    return { ok: true };
  }

  @Post('import')
  import(@Audited() audit: AuditContext): { id: string } {
    audit.target = 'things/imported-1';
    return { id: 'imported-1' };
  }

  @Get(':id')
  get(@Param('id') id: string): { id: string } {
    return { id };
  }
}

describe('audit log', () => {
  let dir: string;
  let db: DataSource;
  let app: INestApplication;
  let url: string;
  let now = T0;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-audit-'));
    now = T0;
    db = new DataSource(dataSourceOptions(join(dir, 'c.sqlite')));
    await db.initialize();
    const journal = new SqliteJournal(db);
    const moduleRef = await Test.createTestingModule({
      controllers: [ThingsController, AuditController],
      providers: [
        { provide: AuditStore, useValue: new AuditStore(journal) },
        { provide: CLOCK, useValue: { now: () => now } },
        { provide: LOGGER, useValue: pino({ level: 'silent' }) },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new ProblemDetailsFilter());
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterEach(async () => {
    await app?.close();
    if (db?.isInitialized) await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = (method: string, path: string, body?: unknown, user?: string): Promise<Response> =>
    fetch(`${url}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(user === undefined ? {} : { 'x-bulwark-user': user }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const entries = async (query = ''): Promise<AuditEntryDto[]> => {
    const res = await fetch(`${url}/api/v1/audit${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as AuditEntryDto[];
  };
  const outboxAudits = async (): Promise<Array<{ at: number; body: AuditBody }>> =>
    (
      await db.query<Array<{ at: number; body: string }>>(
        `SELECT at, body FROM outbox WHERE kind = 'audit' ORDER BY seq`,
      )
    ).map((r) => ({ at: r.at, body: JSON.parse(r.body) as AuditBody }));

  it('records a change with who, when, what, before, after and outcome, and its outbox record', async () => {
    const res = await send('PUT', '/api/v1/things/t1', { value: 2 }, 'alice');
    expect(res.status).toBe(200);
    const [entry] = await entries();
    expect(entry).toEqual({
      id: 1,
      at: new Date(T0).toISOString(),
      actor: 'alice',
      method: 'PUT',
      route: '/api/v1/things/:id',
      path: '/api/v1/things/t1',
      target: 'things/t1',
      status: 200,
      title: 'Ok',
      detail: null,
      before: { value: 1 },
      after: { value: 2 },
    });
    expect(await outboxAudits()).toEqual([
      {
        at: T0,
        body: {
          actor: 'alice',
          action: 'PUT /api/v1/things/t1 -> 200 Ok',
          target: 'things/t1',
          before: { value: 1 },
          after: { value: 2 },
        },
      },
    ]);
  });

  it('records a refused request with its status and problem, and answers the refusal unchanged', async () => {
    const res = await send('POST', '/api/v1/things/t1/refuse', { by: 'bob' });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { detail: string }).detail).toBe(
      'value: 99 is outside the safe range 0..10',
    );
    const [entry] = await entries();
    expect(entry).toMatchObject({
      actor: 'bob',
      target: 'things/t1',
      status: 422,
      title: 'Unprocessable Entity',
      detail: 'value: 99 is outside the safe range 0..10',
      before: { value: 1 },
      after: null,
    });
    expect((await outboxAudits())[0].body.action).toBe(
      'POST /api/v1/things/t1/refuse -> 422 Unprocessable Entity',
    );
  });

  it('records nothing for reads, names the anonymous, and takes the target from the handler', async () => {
    expect((await fetch(`${url}/api/v1/things/t1`)).status).toBe(200);
    expect(await entries()).toEqual([]);
    expect((await send('DELETE', '/api/v1/things/t2')).status).toBe(200);
    expect((await send('POST', '/api/v1/things/import', { author: 'carol' })).status).toBe(201);
    const [imported, removed] = await entries();
    expect(removed).toMatchObject({ actor: 'anonymous', target: 'things/t2', status: 200 });
    expect(imported).toMatchObject({ actor: 'carol', target: 'things/imported-1', status: 201 });
    expect(await outboxAudits()).toHaveLength(2);
  });

  it('writes neither the entry nor its outbox record when the outbox refuses, and says so', async () => {
    await db.query(
      `CREATE TRIGGER outbox_full BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
    );
    const res = await send('PUT', '/api/v1/things/t1', { value: 2 });
    expect(res.status).toBe(500);
    expect(await db.query(`SELECT count(*) AS n FROM audit`)).toEqual([{ n: 0 }]);
    expect(await db.query(`SELECT count(*) AS n FROM outbox`)).toEqual([{ n: 0 }]);
  });

  it('refuses to update or delete an entry', async () => {
    await send('PUT', '/api/v1/things/t1', { value: 2 });
    await expect(db.query(`UPDATE audit SET actor = 'mallory'`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM audit`)).rejects.toThrow(/append-only/);
    expect((await entries())[0].actor).toBe('anonymous');
  });

  it('filters by actor, target and time, and pages forward with after', async () => {
    for (let i = 0; i < 5; i++) {
      now = T0 + i * 60_000;
      await send('PUT', `/api/v1/things/t${i % 2}`, { value: i }, i < 3 ? 'alice' : 'bob');
    }
    expect((await entries('?actor=bob')).map((e) => e.id)).toEqual([5, 4]);
    expect((await entries('?target=things/t1')).map((e) => e.id)).toEqual([4, 2]);
    expect(
      (await entries('?since=2025-06-02T08:01:00Z&until=2025-06-02T08:03:00Z')).map((e) => e.id),
    ).toEqual([3, 2]);
    expect((await entries('?after=2&limit=2')).map((e) => e.id)).toEqual([3, 4]);
    const bad = await fetch(`${url}/api/v1/audit?limit=5000`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(
      /^limit: "5000" must be an integer 1\.\.1000/,
    );
    expect((await fetch(`${url}/api/v1/audit?who=x`)).status).toBe(400);
  });
});
