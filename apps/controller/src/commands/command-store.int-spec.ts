/**
 * The command path on a real SQLite file (SqliteCommandStore through the
 * shared SqliteJournal): one change of one point — its array and output
 * state, its events and, for an audited request, its audit entry, each with
 * its outbox record — commits in one transaction or not at all.
 *
 * Failures are injected with SQLite triggers (RAISE(ABORT)) at the statement
 * named, so the transaction fails part-way through, as a full disk would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { pino } from 'pino';
import { DataSource } from 'typeorm';
import type { PriorityArrayDto } from '#libs/contracts';
import type { FieldbusDriver } from '#libs/fieldbus';
import type { Protocol } from '#libs/profiles';
import { AuditInterceptor } from '../audit/audit.interceptor.js';
import { AuditStore } from '../audit/audit-store.js';
import { CLOCK } from '../common/clock.js';
import { ProblemDetailsFilter } from '../common/problem-details.filter.js';
import { LOGGER } from '../common/tokens.js';
import { dataSourceOptions } from '../database/data-source.js';
import { SqliteJournal } from '../events/sqlite-journal.js';
import { LiveValues } from '../points/live-values.js';
import { WriteService } from '../writes/write.service.js';
import { SqliteCommandStore } from './command-store.js';
import { CommandService } from './command.service.js';
import { CommandsController } from './commands.controller.js';
import { FakeFieldbusDriver } from './fake-fieldbus-driver.js';
import { FakeTime } from './fake-time.js';
import { testSite } from './test-harness.js';

const log = pino({ level: 'silent' });

describe('SqliteCommandStore: a change commits whole', () => {
  let dir: string;
  let db: DataSource;
  let journal: SqliteJournal;
  let bacnet: FakeFieldbusDriver;
  let modbus: FakeFieldbusDriver;

  beforeEach(async () => {
    bacnet = new FakeFieldbusDriver('bacnet', { damper: 30 });
    modbus = new FakeFieldbusDriver('modbus');
    dir = mkdtempSync(join(tmpdir(), 'bulwark-commands-'));
    db = new DataSource(dataSourceOptions(join(dir, 'c.sqlite')));
    await db.initialize();
    journal = new SqliteJournal(db);
  });
  afterEach(async () => {
    if (db?.isInitialized) await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A CommandService on the file, as the controller builds it (a restart is another one on the same file). */
  const service = (time: FakeTime): CommandService => {
    const drivers = new Map<Protocol, FieldbusDriver>([
      ['bacnet', bacnet],
      ['modbus', modbus],
    ]);
    const writes = new WriteService(testSite, drivers, time, log, new LiveValues(testSite, time));
    writes.policy = { retries: 0, backoff: { baseMs: 1, maxMs: 1 } };
    return new CommandService(testSite, writes, new SqliteCommandStore(journal), time, time, log);
  };
  const events = (type: string): Promise<Array<{ subject: string }>> =>
    db.query(`SELECT subject FROM event WHERE type = ? ORDER BY seq`, [type]);
  const outboxEvents = async (type: string): Promise<number> =>
    (
      await db.query<Array<{ n: number }>>(
        `SELECT count(*) AS n FROM outbox WHERE kind = 'event' AND json_extract(body, '$.type') = ?`,
        [type],
      )
    )[0].n;
  const storedSlots = async (point: string): Promise<number[]> => {
    const rows = await db.query<Array<{ array_json: string }>>(
      `SELECT array_json FROM point_command_state WHERE point_id = ?`,
      [point],
    );
    if (rows.length === 0) return [];
    // Slots are stored by position: index 0 is priority 1.
    const json = JSON.parse(rows[0].array_json) as { slots: Array<object | null> };
    return json.slots.flatMap((s, i) => (s ? [i + 1] : []));
  };

  it('an expiry whose array cannot be saved records no event; after a restart the slot ends exactly once', async () => {
    const time = new FakeTime();
    const first = service(time);
    await first.start();
    await first.command('drive.speed', { value: 40, priority: 16, source: 'schedule' });
    const expiresAt = time.now() + 5000;
    await first.command('drive.speed', { value: 90, priority: 8, source: 'operator', expiresAt });
    await db.query(
      `CREATE TRIGGER no_save BEFORE UPDATE ON point_command_state BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
    );
    await time.advance(5000);
    // Neither the event nor the array moved on: the expiry is still to happen.
    expect(await events('expiry')).toEqual([]);
    expect(await outboxEvents('expiry')).toBe(0);
    expect(await storedSlots('drive.speed')).toEqual([8, 16]);

    // Killed here; the disk has room again when it comes back.
    await first.onModuleDestroy();
    await db.query(`DROP TRIGGER no_save`);
    const next = service(new FakeTime(time.now() + 1000));
    await next.start();
    expect(await events('expiry')).toEqual([{ subject: 'drive.speed' }]);
    expect(await outboxEvents('expiry')).toBe(1);
    expect(await storedSlots('drive.speed')).toEqual([16]);
    expect(modbus.value('speed')).toBe(40);
    await next.onModuleDestroy();
  });

  it('a failure after the expiry event is inserted keeps neither it nor the new array; the retry records it once', async () => {
    const time = new FakeTime();
    const svc = service(time);
    await svc.command('vav.damper', {
      value: 60,
      priority: 8,
      source: 'operator',
      expiresAt: time.now() + 1000,
    });
    // Fails at the event's outbox record, after the state row and the event row are written.
    await db.query(`CREATE TRIGGER no_outbox BEFORE INSERT ON outbox
      WHEN json_extract(NEW.body, '$.type') = 'expiry' BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    await time.advance(1000);
    expect(await events('expiry')).toEqual([]);
    expect(await storedSlots('vav.damper')).toEqual([8]);
    expect((await svc.priorityArray('vav.damper')).slots.map((s) => s.priority)).toEqual([8]);

    await db.query(`DROP TRIGGER no_outbox`);
    await time.advance(5000);
    await time.advance(60_000);
    expect(await events('expiry')).toEqual([{ subject: 'vav.damper' }]);
    expect(await outboxEvents('expiry')).toBe(1);
    expect(await storedSlots('vav.damper')).toEqual([]);
    await svc.onModuleDestroy();
  });
});

describe('a POST command: its state, its event and its audit entry in one transaction', () => {
  let dir: string;
  let db: DataSource;
  let app: INestApplication;
  let url: string;
  let bacnet: FakeFieldbusDriver;
  let commands: CommandService;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-commands-audit-'));
    db = new DataSource(dataSourceOptions(join(dir, 'c.sqlite')));
    await db.initialize();
    const journal = new SqliteJournal(db);
    const time = new FakeTime(Date.parse('2025-06-02T08:00:00Z'));
    bacnet = new FakeFieldbusDriver('bacnet', { damper: 30 });
    const drivers = new Map<Protocol, FieldbusDriver>([
      ['bacnet', bacnet],
      ['modbus', new FakeFieldbusDriver('modbus')],
    ]);
    const writes = new WriteService(testSite, drivers, time, log, new LiveValues(testSite, time));
    writes.policy = { retries: 0, backoff: { baseMs: 1, maxMs: 1 } };
    commands = new CommandService(testSite, writes, new SqliteCommandStore(journal), time, time, log);
    await commands.start();
    const moduleRef = await Test.createTestingModule({
      controllers: [CommandsController],
      providers: [
        { provide: CommandService, useValue: commands },
        { provide: AuditStore, useValue: new AuditStore(journal) },
        { provide: CLOCK, useValue: time },
        { provide: LOGGER, useValue: log },
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
    await commands?.onModuleDestroy();
    if (db?.isInitialized) await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (point: string, body: unknown): Promise<Response> =>
    fetch(`${url}/api/v1/points/${point}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-bulwark-user': 'alice' },
      body: JSON.stringify(body),
    });
  const count = async (sql: string): Promise<number> =>
    (await db.query<Array<{ n: number }>>(`SELECT count(*) AS n FROM ${sql}`))[0].n;

  it('commits the array, the command event and the audit entry (answering what the client got), with their outbox records', async () => {
    const res = await post('vav.damper', { value: 60 });
    expect(res.status).toBe(201);
    const answer = (await res.json()) as PriorityArrayDto;
    const [entry] = await db.query<
      Array<{ status: number; actor: string; before_json: string; after_json: string }>
    >(`SELECT status, actor, before_json, after_json FROM audit`);
    expect(entry.status).toBe(201);
    expect(entry.actor).toBe('alice');
    expect(JSON.parse(entry.after_json)).toEqual(answer);
    expect(JSON.parse(entry.before_json)).toMatchObject({ pointId: 'vav.damper', slots: [] });
    expect(await count(`event WHERE type = 'command' AND subject = 'vav.damper'`)).toBe(1);
    expect(await count(`point_command_state WHERE point_id = 'vav.damper'`)).toBe(1);
    const kinds = await db.query<Array<{ kind: string }>>(
      `SELECT kind FROM outbox WHERE kind IN ('event', 'audit') ORDER BY seq`,
    );
    expect(kinds.map((k) => k.kind)).toEqual(['event', 'audit']);
  });

  it('keeps no state change and no event when the audit entry cannot be written, takes the write back off the device, and answers an error', async () => {
    await db.query(
      `CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
    );
    const res = await post('vav.damper', { value: 60 });
    expect(res.status).toBe(500);
    expect(await count(`point_command_state WHERE point_id = 'vav.damper'`)).toBe(0);
    expect(await count(`event WHERE type = 'command'`)).toBe(0);
    expect(await count(`outbox WHERE kind IN ('event', 'audit')`)).toBe(0);
    expect(await count(`audit`)).toBe(0);
    expect(bacnet.calls.map((c) => [c.op, c.priority])).toEqual([
      ['write', 8],
      ['relinquish', 8],
    ]);
    expect(bacnet.slots('damper')[7]).toBeNull();
    expect((await commands.priorityArray('vav.damper')).slots).toEqual([]);
  });

  it('still records a refusal itself, with no event and no state change', async () => {
    const res = await post('vav.damper', { value: 5 });
    expect(res.status).toBe(422);
    const rows = await db.query<Array<{ status: number }>>(`SELECT status FROM audit`);
    expect(rows).toEqual([{ status: 422 }]);
    expect(await count(`event`)).toBe(0);
    expect(await count(`point_command_state WHERE point_id = 'vav.damper'`)).toBe(0);
  });
});
