/**
 * The whole fallback chain on fake time: the link (LinkService over the
 * simulated cloud), the command path and the schedule runner. A declared
 * fallback schedule steps in when the link goes AUTONOMOUS and out when it is
 * CONNECTED again, on a point the controller arbitrates (Modbus) and on a
 * BACnet commandable object; every transition is an event.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { FakeTime } from '../commands/fake-time.js';
import { commandHarness } from '../commands/test-harness.js';
import type { CommandHarness } from '../commands/test-harness.js';
import type { ControllerConfig } from '../config/controller-config.js';
import { MemoryEventSink } from '../events/event-sink.js';
import { LinkService } from '../link/link.service.js';
import { ScheduleRunner } from './schedule-runner.js';
import { controllerSchedule, FakeConfiguration } from './schedule-runner.test-support.js';

const START = Date.parse('2026-06-01T08:00:00Z');

describe('fallback schedules and the link', () => {
  let time: FakeTime;
  let events: MemoryEventSink;
  let link: LinkService;
  let h: CommandHarness;
  let runner: ScheduleRunner;

  beforeEach(async () => {
    time = new FakeTime(START);
    events = new MemoryEventSink(() => time.now());
    const log = pino({ level: 'silent' });
    const config = { link: { driver: 'manual' } } as ControllerConfig;
    link = new LinkService(config, time, log, events);
    h = commandHarness({ link, time, events });
    const schedules = new FakeConfiguration([
      controllerSchedule('office', {
        kind: 'local',
        targets: ['vav.damper', 'drive.speed'],
        scheduleDefault: 40,
      }),
      controllerSchedule('fallback-air', {
        kind: 'fallback',
        targets: ['vav.damper', 'drive.speed'],
        scheduleDefault: 90,
      }),
    ]);
    runner = new ScheduleRunner(h.service, time, time, log, events, schedules, link);
    await h.service.start();
    link.onApplicationBootstrap();
    runner.onApplicationBootstrap();
    await runner.idle();
  });
  afterEach(async () => {
    runner.onModuleDestroy();
    await h.service.onModuleDestroy();
    link.onModuleDestroy();
  });

  const modeChanges = (): string[] =>
    events.events.filter((e) => e.type === 'mode-change').map((e) => `${e.at - START} ${e.message}`);

  it('steps in on AUTONOMOUS and out on CONNECTED, on both kinds of point, each transition an event', async () => {
    // Like every link, it starts AUTONOMOUS until the cloud proves itself: the fallback is in force at first.
    expect(link.state).toBe('AUTONOMOUS');
    expect(h.bacnet.slots('damper')[11]).toBe(90);
    expect(h.modbus.value('speed')).toBe(90);
    await time.advance(2000);
    expect(link.state).toBe('CONNECTED');
    expect(h.bacnet.slots('damper')[11]).toBeNull();
    expect(h.bacnet.slots('damper')[15]).toBe(40);
    expect(h.bacnet.value('damper')).toBe(40);
    expect(h.modbus.value('speed')).toBe(40);
    expect(link.mode().fallbackSchedules).toEqual([]);

    await time.advance(10_250);
    const pulledAt = time.now();
    link.simulated!.setReachable(false);
    expect(link.state).toBe('DEGRADED');
    let steppedIn: number | undefined;
    while (steppedIn === undefined && time.now() - pulledAt < 10_000) {
      await time.advance(50);
      if (h.bacnet.value('damper') === 90 && h.modbus.value('speed') === 90) steppedIn = time.now();
    }
    expect(link.state).toBe('AUTONOMOUS');
    expect(steppedIn! - pulledAt).toBeLessThanOrEqual(4000);
    expect(h.bacnet.slots('damper')[11]).toBe(90);
    const view = await h.service.priorityArray('vav.damper');
    expect(view.effective).toEqual({ value: 90, priority: 12, source: 'fallback-schedule' });
    expect(link.mode()).toMatchObject({
      state: 'AUTONOMOUS',
      driver: 'manual',
      fallbackSchedules: ['fallback-air'],
      lastFailure: { reason: 'request failed: simulated link: the cloud is unreachable' },
      simulatedLink: { reachable: false },
    });

    const restoredAt = time.now();
    link.simulated!.setReachable(true);
    await time.advance(1999);
    expect(link.state).toBe('AUTONOMOUS');
    expect(h.modbus.value('speed')).toBe(90);
    await time.advance(1);
    expect(link.state).toBe('CONNECTED');
    expect(h.bacnet.slots('damper')[11]).toBeNull();
    expect(h.bacnet.value('damper')).toBe(40);
    expect(h.modbus.value('speed')).toBe(40);
    expect((await h.service.priorityArray('vav.damper')).slots).toMatchObject([
      { priority: 12, value: 90, inForce: false },
      { priority: 16, value: 40, inForce: true },
    ]);

    const autonomousAt = Math.floor((steppedIn! - START) / 1000) * 1000; // the last beat's success + 4000 ms
    expect(modeChanges()).toEqual([
      '2000 link AUTONOMOUS → CONNECTED: 5 consecutive successful exchanges over 2000 ms',
      `${pulledAt - START} link CONNECTED → DEGRADED: request failed: simulated link: the cloud is unreachable`,
      `${autonomousAt} link DEGRADED → AUTONOMOUS: no successful exchange for 4000 ms`,
      `${restoredAt - START + 2000} link AUTONOMOUS → CONNECTED: 5 consecutive successful exchanges over 2000 ms`,
    ]);
    const toAutonomous = events.events.find((e) => e.type === 'mode-change' && e.data?.to === 'AUTONOMOUS');
    expect(toAutonomous).toMatchObject({
      source: 'link',
      data: { from: 'DEGRADED', fallbackSchedules: ['fallback-air'] },
    });
    // The schedules did not change: their slots stayed put, only the mode moved the outputs.
    expect(events.events.filter((e) => e.type === 'schedule-transition')).toHaveLength(2);
  });
});
