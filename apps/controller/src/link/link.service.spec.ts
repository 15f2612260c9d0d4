/**
 * LinkService and the mode API: driver 'none' is AUTONOMOUS for good; driver
 * 'manual' follows the simulated cloud; every transition is an event; the
 * simulated-link endpoint exists only with 'manual' and refuses bad bodies.
 */
import { describe, expect, it } from '@jest/globals';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import { pino } from 'pino';
import { FakeTime } from '../commands/fake-time.js';
import type { ControllerConfig } from '../config/controller-config.js';
import { MemoryEventSink } from '../events/event-sink.js';
import { LinkService } from './link.service.js';
import { ModeController } from './mode.controller.js';

const START = Date.parse('2026-06-01T08:00:00Z');

function harness(link?: ControllerConfig['link']) {
  const time = new FakeTime(START);
  const events = new MemoryEventSink(() => time.now());
  const log = pino({ level: 'silent' });
  const service = new LinkService({ ...(link ? { link } : {}) } as ControllerConfig, time, log, events);
  service.onApplicationBootstrap();
  return { time, events, service, api: new ModeController(service, log) };
}

describe('LinkService', () => {
  it("with driver 'none' (no cloud) is AUTONOMOUS from the start and for good, with nothing to report", async () => {
    const h = harness();
    await h.time.advance(24 * 3600_000);
    h.service.reportFallbackSchedules(['night', 'fallback-air']);
    expect(h.api.mode()).toEqual({
      state: 'AUTONOMOUS',
      since: new Date(START).toISOString(),
      lastSuccessAt: null,
      lastFailure: null,
      driver: 'none',
      fallbackSchedules: ['fallback-air', 'night'],
    });
    expect(h.events.events).toEqual([]);
    expect(h.time.dueTimes()).toEqual([]);
    expect(() => h.api.simulatedLink({ reachable: false })).toThrow(NotFoundException);
    expect(() => h.api.simulatedLink({ reachable: false })).toThrow(/link driver is 'none'/);
  });

  it("with driver 'manual' becomes CONNECTED once the simulated cloud answers, detects its loss in 4 s and records every transition", async () => {
    const h = harness({ driver: 'manual' });
    expect(h.service.state).toBe('AUTONOMOUS');
    await h.time.advance(2000);
    expect(h.api.mode()).toMatchObject({
      state: 'CONNECTED',
      since: new Date(START + 2000).toISOString(),
      lastSuccessAt: new Date(START + 2000).toISOString(),
      fallbackSchedules: [],
      simulatedLink: { reachable: true },
    });
    await h.time.advance(100);
    expect(h.api.simulatedLink({ reachable: false }).state).toBe('DEGRADED');
    await h.time.advance(3899);
    expect(h.service.state).toBe('DEGRADED');
    await h.time.advance(1);
    expect(h.service.state).toBe('AUTONOMOUS');
    expect(
      h.events.events.map((e) => [e.type, e.source, e.at - START, e.data?.from, e.data?.to, e.data?.cause]),
    ).toEqual([
      ['mode-change', 'link', 2000, 'AUTONOMOUS', 'CONNECTED', 'recovered'],
      ['mode-change', 'link', 2100, 'CONNECTED', 'DEGRADED', 'failure'],
      ['mode-change', 'link', 6000, 'DEGRADED', 'AUTONOMOUS', 'silence'],
    ]);
    expect(h.events.events[2].message).toBe('link DEGRADED → AUTONOMOUS: no successful exchange for 4000 ms');
    h.service.onModuleDestroy();
    expect(h.time.dueTimes()).toEqual([]);
  });

  it('refuses a malformed simulated-link body, naming the field', () => {
    const h = harness({ driver: 'manual' });
    const cases: Array<[unknown, RegExp]> = [
      [{}, /^reachable: is required/],
      [{ reachable: 'no' }, /^reachable: must be boolean, got "no"/],
      [{ reachable: false, colour: 'red' }, /^colour: unknown field/],
      [[false], /^body: must be a JSON object/],
      [null, /^body: must be a JSON object/],
    ];
    for (const [body, message] of cases) {
      expect(() => h.api.simulatedLink(body)).toThrow(BadRequestException);
      expect(() => h.api.simulatedLink(body)).toThrow(message);
    }
    expect(h.service.simulated?.reachable).toBe(true);
    h.service.onModuleDestroy();
  });

  it('refuses link options that make no sense at boot, naming the option', () => {
    expect(() => harness({ driver: 'manual', degradedAfterMs: 5000 })).toThrow(
      /autonomousAfterMs \(4000\) must exceed degradedAfterMs \(5000\)/,
    );
  });
});
