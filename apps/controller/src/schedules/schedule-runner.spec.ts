/**
 * The schedule runner with fake time and a test double of the configuration
 * port: it commands at the right instants (DST in Europe/Berlin both ways), at
 * the right slot for each kind, follows configuration changes, and never
 * drops a refused target silently.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { OutOfSafeRangeError } from '#libs/priority';
import type { CommandSource } from '#libs/priority';
import { CommandWriteFailedError } from '../commands/command-errors.js';
import { RETRY_MS } from '../commands/command.service.js';
import type { CommandOptions } from '../commands/command.service.js';
import { FakeTime } from '../commands/fake-time.js';
import { MemoryEventSink } from '../events/event-sink.js';
import { ScheduleRunner } from './schedule-runner.js';
import type { ScheduleCommands } from './schedule-runner.js';
import { controllerSchedule, everyDay, FakeConfiguration } from './schedule-runner.test-support.js';

interface Call {
  at: string;
  op: 'command' | 'relinquish';
  target: string;
  priority: number;
  source: CommandSource;
  value?: number;
}

/** Records what the runner asks of the command path; named failure modes per target. */
class RecordingCommands implements ScheduleCommands {
  readonly calls: Call[] = [];
  readonly refuse = new Set<string>();
  readonly failWrites = new Set<string>();
  held: Array<{ target: string; priority: number; source: CommandSource }> = [];
  constructor(private readonly time: FakeTime) {}

  command(target: string, opts: CommandOptions): ReturnType<ScheduleCommands['command']> {
    const at = new Date(this.time.now()).toISOString();
    this.calls.push({
      at,
      op: 'command',
      target,
      priority: opts.priority,
      source: opts.source,
      value: opts.value,
    });
    if (this.refuse.has(target))
      return Promise.reject(new OutOfSafeRangeError(target, opts.value, 10, 100, '%'));
    if (this.failWrites.has(target))
      return Promise.reject(
        new CommandWriteFailedError(target, { code: 'timeout', message: 'no answer (fake)' }),
      );
    return Promise.resolve({} as Awaited<ReturnType<ScheduleCommands['command']>>);
  }

  relinquish(
    target: string,
    priority: number,
    source: CommandSource,
  ): ReturnType<ScheduleCommands['relinquish']> {
    this.calls.push({
      at: new Date(this.time.now()).toISOString(),
      op: 'relinquish',
      target,
      priority,
      source,
    });
    return Promise.resolve({} as Awaited<ReturnType<ScheduleCommands['relinquish']>>);
  }

  heldBy(priority: number, source: CommandSource): Promise<string[]> {
    return Promise.resolve(
      this.held.filter((h) => h.priority === priority && h.source === source).map((h) => h.target),
    );
  }
}

const DAILY = everyDay([
  { time: '02:30', value: 1 },
  { time: '06:00', value: 2 },
  { time: '22:00', value: 3 },
]);

function harness(start: string, config: FakeConfiguration) {
  const time = new FakeTime(start);
  const commands = new RecordingCommands(time);
  const events = new MemoryEventSink(() => time.now());
  const reports: string[][] = [];
  const runner = new ScheduleRunner(commands, time, time, pino({ level: 'silent' }), events, config, {
    reportFallbackSchedules: (ids) => void reports.push([...ids]),
  });
  return { time, commands, events, runner, config, reports };
}

const commanded = (calls: Call[]): string[] =>
  calls.map((c) => `${c.at} ${c.op} ${c.target}@${c.priority}${c.value === undefined ? '' : `=${c.value}`}`);

describe('ScheduleRunner', () => {
  it('commands at the right instants across spring-forward in Europe/Berlin (02:30 in the gap happens at 03:00 CEST)', async () => {
    const config = new FakeConfiguration([
      controllerSchedule('heating', {
        kind: 'local',
        targets: ['drive.speed'],
        weekly: DAILY,
        scheduleDefault: 0,
      }),
    ]);
    const h = harness('2026-03-28T12:00:00Z', config);
    h.runner.onApplicationBootstrap();
    await h.time.advanceTo('2026-03-30T00:00:00Z');
    await h.runner.idle();
    expect(commanded(h.commands.calls)).toEqual([
      '2026-03-28T12:00:00.000Z command drive.speed@16=2',
      '2026-03-28T21:00:00.000Z command drive.speed@16=3',
      '2026-03-28T23:00:00.000Z command drive.speed@16=0',
      '2026-03-29T01:00:00.000Z command drive.speed@16=1',
      '2026-03-29T04:00:00.000Z command drive.speed@16=2',
      '2026-03-29T20:00:00.000Z command drive.speed@16=3',
      '2026-03-29T22:00:00.000Z command drive.speed@16=0',
    ]);
    const transitions = h.events.events.filter((e) => e.type === 'schedule-transition');
    expect(
      transitions.map((e) => [new Date(e.at).toISOString(), e.source, e.subject, e.data?.from, e.data?.to]),
    ).toEqual([
      ['2026-03-28T12:00:00.000Z', 'schedule', 'heating', null, 2],
      ['2026-03-28T21:00:00.000Z', 'schedule', 'heating', 2, 3],
      ['2026-03-28T23:00:00.000Z', 'schedule', 'heating', 3, 0],
      ['2026-03-29T01:00:00.000Z', 'schedule', 'heating', 0, 1],
      ['2026-03-29T04:00:00.000Z', 'schedule', 'heating', 1, 2],
      ['2026-03-29T20:00:00.000Z', 'schedule', 'heating', 2, 3],
      ['2026-03-29T22:00:00.000Z', 'schedule', 'heating', 3, 0],
    ]);
    h.runner.onModuleDestroy();
  });

  it('commands the repeated autumn hour once, at its first occurrence (02:30 CEST), in Europe/Berlin', async () => {
    const config = new FakeConfiguration([
      controllerSchedule('fallback-air', {
        kind: 'fallback',
        targets: ['drive.speed'],
        weekly: DAILY,
        scheduleDefault: 0,
      }),
    ]);
    const h = harness('2026-10-24T12:00:00Z', config);
    h.runner.onApplicationBootstrap();
    await h.time.advanceTo('2026-10-26T00:00:00Z');
    await h.runner.idle();
    expect(commanded(h.commands.calls)).toEqual([
      '2026-10-24T12:00:00.000Z command drive.speed@12=2',
      '2026-10-24T20:00:00.000Z command drive.speed@12=3',
      '2026-10-24T22:00:00.000Z command drive.speed@12=0',
      '2026-10-25T00:30:00.000Z command drive.speed@12=1',
      '2026-10-25T05:00:00.000Z command drive.speed@12=2',
      '2026-10-25T21:00:00.000Z command drive.speed@12=3',
      '2026-10-25T23:00:00.000Z command drive.speed@12=0',
    ]);
    expect(h.commands.calls.every((c) => c.source === 'fallback-schedule')).toBe(true);
    h.runner.onModuleDestroy();
  });

  describe('on configuration changes', () => {
    let h: ReturnType<typeof harness>;
    let config: FakeConfiguration;
    const office = controllerSchedule('office', {
      kind: 'local',
      targets: ['drive.speed', 'vav.damper'],
      weekly: everyDay([
        { time: '07:00', value: 60 },
        { time: '18:00', value: null },
      ]),
    });
    const fallback = controllerSchedule('fallback', {
      kind: 'fallback',
      targets: ['vav.damper'],
      scheduleDefault: 40,
    });

    beforeEach(async () => {
      config = new FakeConfiguration([office, fallback]);
      h = harness('2026-06-01T08:00:00Z', config); // 10:00 CEST, a Monday
      h.runner.onApplicationBootstrap();
      await h.runner.idle();
    });

    it('commands local schedules at 16 and fallback schedules at 12, keeps one timer, and reports the fallback schedules holding slot 12', async () => {
      expect(commanded(h.commands.calls)).toEqual([
        '2026-06-01T08:00:00.000Z command vav.damper@12=40',
        '2026-06-01T08:00:00.000Z command drive.speed@16=60',
        '2026-06-01T08:00:00.000Z command vav.damper@16=60',
      ]);
      expect(h.time.dueTimes()).toEqual([Date.parse('2026-06-01T16:00:00Z')]);
      expect(h.reports.at(-1)).toEqual(['fallback']);
      // 18:00 CEST: null relinquishes the slot.
      await h.time.advanceTo('2026-06-01T16:00:00Z');
      await h.runner.idle();
      expect(commanded(h.commands.calls.slice(3))).toEqual([
        '2026-06-01T16:00:00.000Z relinquish drive.speed@16',
        '2026-06-01T16:00:00.000Z relinquish vav.damper@16',
      ]);
      h.runner.onModuleDestroy();
    });

    it('relinquishes a removed target and a removed schedule, re-commands only what changed, and records each', async () => {
      config.set([{ ...office, targets: ['drive.speed'] }, fallback]);
      await h.runner.idle();
      expect(commanded(h.commands.calls.slice(3))).toEqual([
        '2026-06-01T08:00:00.000Z relinquish vav.damper@16',
      ]);
      config.set([{ ...office, targets: ['drive.speed'], weekly: everyDay([{ time: '07:00', value: 55 }]) }]);
      await h.runner.idle();
      expect(commanded(h.commands.calls.slice(4))).toEqual([
        '2026-06-01T08:00:00.000Z relinquish vav.damper@12',
        '2026-06-01T08:00:00.000Z command drive.speed@16=55',
      ]);
      expect(h.reports.at(-1)).toEqual([]);
      const messages = h.events.events.filter((e) => e.type === 'schedule-transition').map((e) => e.message);
      expect(messages).toEqual([
        'schedule "fallback" (fallback) null → 40: commands 40 at priority 12 on 1 target',
        'schedule "office" (local) null → 60: commands 60 at priority 16 on 2 targets',
        'schedule "office" (local) 60 → 55: commands 55 at priority 16 on 1 target',
        'schedule "fallback" (fallback) removed: priority 12 relinquished',
      ]);
      h.runner.onModuleDestroy();
    });
  });

  it('logs and records a refused target as an event, commands the others, and retries it only when its value changes', async () => {
    const config = new FakeConfiguration([
      controllerSchedule('office', {
        kind: 'local',
        targets: ['vav.damper', 'drive.speed'],
        weekly: everyDay([
          { time: '07:00', value: 5 },
          { time: '12:00', value: 5 },
          { time: '18:00', value: 50 },
        ]),
      }),
    ]);
    const h = harness('2026-06-01T08:00:00Z', config);
    h.commands.refuse.add('vav.damper');
    h.runner.onApplicationBootstrap();
    await h.runner.idle();
    const refused = h.events.events.filter((e) => e.data?.refused === true);
    expect(refused).toEqual([
      expect.objectContaining({
        type: 'schedule-transition',
        source: 'schedule',
        subject: 'office',
        message: expect.stringMatching(
          /schedule "office": target vav\.damper refused 5 at priority 16: .*value 5 outside safe range 10\.\.100/,
        ),
        data: expect.objectContaining({ target: 'vav.damper', value: 5, priority: 16 }),
      }),
    ]);
    expect(commanded(h.commands.calls)).toEqual([
      '2026-06-01T08:00:00.000Z command vav.damper@16=5',
      '2026-06-01T08:00:00.000Z command drive.speed@16=5',
    ]);
    h.commands.refuse.delete('vav.damper');
    await h.time.advanceTo('2026-06-01T16:00:00Z');
    await h.runner.idle();
    expect(commanded(h.commands.calls.slice(2))).toEqual([
      '2026-06-01T16:00:00.000Z command vav.damper@16=50',
      '2026-06-01T16:00:00.000Z command drive.speed@16=50',
    ]);
    h.runner.onModuleDestroy();
  });

  it('retries a target whose write failed after RETRY_MS', async () => {
    const config = new FakeConfiguration([
      controllerSchedule('office', { kind: 'local', targets: ['vav.damper'], scheduleDefault: 45 }),
    ]);
    const h = harness('2026-06-01T08:00:00Z', config);
    h.commands.failWrites.add('vav.damper');
    h.runner.onApplicationBootstrap();
    await h.runner.idle();
    expect(h.events.events.filter((e) => e.data?.refused === true)).toHaveLength(1);
    h.commands.failWrites.delete('vav.damper');
    await h.time.advance(RETRY_MS - 1);
    expect(h.commands.calls).toHaveLength(1);
    await h.time.advance(1);
    await h.runner.idle();
    expect(commanded(h.commands.calls)).toEqual([
      '2026-06-01T08:00:00.000Z command vav.damper@16=45',
      `${new Date(Date.parse('2026-06-01T08:00:00Z') + RETRY_MS).toISOString()} command vav.damper@16=45`,
    ]);
    await h.time.advance(10 * RETRY_MS);
    expect(h.commands.calls).toHaveLength(2);
    h.runner.onModuleDestroy();
  });

  it('after a restart relinquishes schedule slots that no schedule claims any more', async () => {
    const config = new FakeConfiguration([
      controllerSchedule('office', { kind: 'local', targets: ['drive.speed'], scheduleDefault: 45 }),
    ]);
    const h = harness('2026-06-01T08:00:00Z', config);
    h.commands.held = [
      { target: 'drive.speed', priority: 16, source: 'schedule' },
      { target: 'vav.damper', priority: 16, source: 'schedule' },
      { target: 'vav.damper', priority: 12, source: 'fallback-schedule' },
    ];
    h.runner.onApplicationBootstrap();
    await h.runner.idle();
    expect(commanded(h.commands.calls)).toEqual([
      '2026-06-01T08:00:00.000Z relinquish vav.damper@16',
      '2026-06-01T08:00:00.000Z relinquish vav.damper@12',
      '2026-06-01T08:00:00.000Z command drive.speed@16=45',
    ]);
    h.runner.onModuleDestroy();
  });

  it('reads times in the schedule’s own zone when it has one, else the site’s', async () => {
    const times = everyDay([{ time: '09:00', value: 30 }]);
    const config = new FakeConfiguration([
      controllerSchedule('berlin', { kind: 'local', targets: ['a.x'], weekly: times, scheduleDefault: 0 }),
      controllerSchedule('new-york', {
        kind: 'local',
        targets: ['b.x'],
        weekly: times,
        scheduleDefault: 0,
        timeZone: 'America/New_York',
      }),
    ]);
    const h = harness('2026-06-01T05:00:00Z', config); // 07:00 in Berlin, 01:00 in New York
    h.runner.onApplicationBootstrap();
    await h.time.advanceTo('2026-06-01T14:00:00Z');
    await h.runner.idle();
    expect(commanded(h.commands.calls.filter((c) => c.value === 30))).toEqual([
      '2026-06-01T07:00:00.000Z command a.x@16=30',
      '2026-06-01T13:00:00.000Z command b.x@16=30',
    ]);
    h.runner.onModuleDestroy();
  });
});
