/**
 * InterlockService with a fake command path, fake readings and a manual clock:
 * activation and clear land on the arrays at slots 1–2 with events, comm-fail
 * puts outputs at their profile's fail-safe, rule changes keep unchanged
 * rules' timers and free removed rules' slots, refusals and dead devices never
 * stop the loop, and a restart neither resets a delay nor repeats a command.
 */
import { describe, expect, it } from '@jest/globals';
import { InMemoryInterlockStateStore } from './interlock-state.store.js';
import { FakeOutputs, FREEZE, Harness, NO_AIRFLOW, SAT_LOST, SITE } from './test-support/harness.js';

const started = (opts: ConstructorParameters<typeof Harness>[0]): Promise<Harness> =>
  new Harness(opts).start();

/** A harness past warm-up: every watched point read good. */
async function running(opts: ConstructorParameters<typeof Harness>[0]): Promise<Harness> {
  const h = await started(opts);
  h.read('ahu.sat', 15);
  h.read('ahu.fan-status', 1);
  h.tick();
  await h.step(300);
  return h;
}

describe('InterlockService', () => {
  it('freeze protection: activates on a scan below 5 °C, commands slot 2, and relinquishes when cleared past the hysteresis', async () => {
    const h = await running({ rules: [FREEZE] });
    expect(h.outputs.held()).toEqual([]);

    h.read('ahu.sat', 3);
    h.tick();
    await h.step(300);
    expect(h.outputs.held()).toEqual(['ahu.htg@2=100', 'ahu.oad@2=10']);
    expect(h.service.activeRules()).toEqual(['freeze']);
    expect(h.interlockEvents()).toEqual([
      'interlock:freeze: interlock freeze activated (supply air below 5 °C)',
      'interlock:freeze: interlock freeze: ahu.oad = 10 at priority 2',
      'interlock:freeze: interlock freeze: ahu.htg = 100 at priority 2',
    ]);

    h.read('ahu.sat', 6); // above 5 but not above clearAbove 8: stays
    h.tick();
    await h.step(300);
    expect(h.outputs.held()).toEqual(['ahu.htg@2=100', 'ahu.oad@2=10']);

    h.read('ahu.sat', 9);
    h.tick();
    await h.step(300);
    expect(h.outputs.held()).toEqual([]);
    expect(h.outputs.calls.filter((c) => c.startsWith('relinquish'))).toEqual([
      'relinquish ahu.oad@2 by interlock',
      'relinquish ahu.htg@2 by interlock',
    ]);
    expect(h.interlockEvents().slice(3)).toEqual([
      'interlock:freeze: interlock freeze cleared (supply air below 5 °C)',
      'interlock:freeze: interlock freeze: relinquish ahu.oad priority 2',
      'interlock:freeze: interlock freeze: relinquish ahu.htg priority 2',
    ]);
    // Each slot once: no command repeated while the rule stayed active.
    expect(h.outputs.calls.filter((c) => c.startsWith('command'))).toHaveLength(2);
  });

  it('a sensor in comm-fail for its delay puts the dependent outputs at their profile fail-safe values at slot 1', async () => {
    const h = await running({ rules: [SAT_LOST] });
    h.read('ahu.sat', 15, 'comm-fail');
    h.tick();
    await h.step(9000);
    expect(h.outputs.held()).toEqual([]);
    await h.step(2000); // the backstop evaluates every second
    expect(h.outputs.held()).toEqual(['boiler.enable@1=1', 'boiler.sp@1=70']);

    h.read('ahu.sat', 15);
    h.tick();
    await h.step(300);
    expect(h.outputs.held()).toEqual([]);
  });

  it('does not trip comm-fail rules on points not yet scanned after boot, until the warm-up ends', async () => {
    const h = await started({ rules: [SAT_LOST], options: { warmUpMs: 20_000 } });
    h.readings.set('ahu.sat', { value: null, quality: 'comm-fail', scanned: false });
    h.tick();
    await h.step(19_000);
    expect(h.service.activeRules()).toEqual([]);
    // Never scanned by the end of the warm-up: that is a real loss; the delay starts now.
    await h.step(2000);
    await h.step(10_000);
    expect(h.outputs.held()).toEqual(['boiler.enable@1=1', 'boiler.sp@1=70']);
  });

  it('evaluates at most once per minIntervalMs however many devices tick, off the scan’s call stack', async () => {
    const h = await running({ rules: [FREEZE] });
    const before = h.readingCalls;
    h.read('ahu.sat', 3);
    for (let i = 0; i < 20; i++) h.tick(i % 2 ? 'ahu' : 'boiler');
    expect(h.outputs.calls).toEqual([]); // nothing ran inside next()
    await h.step(200);
    expect(h.readingCalls - before).toBe(1);
    expect(h.outputs.held()).toEqual(['ahu.htg@2=100', 'ahu.oad@2=10']);
  });

  it('evaluates on the backstop when no scan ticks, so a delay still ends on time', async () => {
    const h = await running({ rules: [NO_AIRFLOW] });
    h.read('ahu.fan-status', 0);
    h.tick();
    await h.step(59_000);
    expect(h.outputs.held()).toEqual([]);
    await h.step(2000); // no tick at all: the backstop evaluates
    expect(h.outputs.held()).toEqual(['boiler.enable@2=0']);
  });

  it('on a rule change keeps the timers of unchanged rules and relinquishes the slots of removed ones', async () => {
    const h = await running({ rules: [FREEZE, NO_AIRFLOW] });
    h.read('ahu.sat', 3);
    h.read('ahu.fan-status', 0);
    h.tick();
    await h.step(30_000);
    expect(h.outputs.held()).toEqual(['ahu.htg@2=100', 'ahu.oad@2=10']);

    h.setRules([NO_AIRFLOW, SAT_LOST]); // freeze removed, no-airflow unchanged (30 s into its 60 s delay)
    await h.step(300);
    expect(h.outputs.held()).toEqual([]);
    expect(h.interlockEvents()).toContain(
      'interlock:freeze: interlock freeze: relinquish ahu.htg priority 2',
    );
    await h.step(29_000);
    expect(h.outputs.held()).toEqual([]);
    await h.step(2000);
    expect(h.outputs.held()).toEqual(['boiler.enable@2=0']);
  });

  it('refuses an invalid rule set as a whole, naming the problem, and keeps the running rules', async () => {
    const h = await running({ rules: [FREEZE] });
    const bad = { ...NO_AIRFLOW, when: { point: 'ahu.nope', equals: 0 } };
    h.setRules([FREEZE, bad]);
    await h.step(300);
    expect(h.interlockEvents().at(-1)).toMatch(
      /^interlock: interlock rules refused, the running rules stay in force: .*unknown-point.*"ahu\.nope"/,
    );
    h.read('ahu.sat', 3);
    h.tick();
    await h.step(300);
    expect(h.outputs.held()).toEqual(['ahu.htg@2=100', 'ahu.oad@2=10']);
  });

  it('a refused action is logged and recorded once, does not stop the rule’s other actions, and is not retried', async () => {
    const outputs = new FakeOutputs(SITE);
    // The command path refuses what validation allowed (e.g. a profile edited under a running rule).
    const original = outputs.command.bind(outputs);
    outputs.command = (key, opts) =>
      key === 'ahu.oad' ? original(key, { ...opts, value: 5 }) : original(key, opts);
    const h = await running({ rules: [FREEZE], outputs });
    h.read('ahu.sat', 3);
    h.tick();
    await h.step(3000);
    expect(h.outputs.held()).toEqual(['ahu.htg@2=100']);
    const refusals = h.interlockEvents().filter((e) => e.includes('refused'));
    expect(refusals).toEqual([
      'interlock:freeze: interlock freeze: cannot set ahu.oad = 10 at priority 2, refused: point "ahu.oad" value 5 outside safe range 10..100',
    ]);
    expect(h.logLines.some((l) => l.level === 50 && /ahu\.oad.*refused/.test(l.msg))).toBe(true);
    expect(outputs.calls.filter((c) => c.startsWith('command ahu.oad'))).toHaveLength(1);

    // The loop goes on: the rule still clears.
    h.read('ahu.sat', 9);
    h.tick();
    await h.step(300);
    expect(h.outputs.held()).toEqual([]);
  });

  it('retries a write the device did not take, recording the failure once', async () => {
    const h = await running({ rules: [SAT_LOST] });
    h.outputs.offline.add('boiler');
    h.read('ahu.sat', null, 'comm-fail');
    h.tick();
    await h.step(11_000);
    expect(h.outputs.held()).toEqual([]);
    await h.step(10_000);
    expect(h.outputs.calls.filter((c) => c === 'command boiler.sp=70@1').length).toBeGreaterThanOrEqual(3);
    expect(h.interlockEvents().filter((e) => e.includes('boiler.sp') && e.includes('retrying'))).toHaveLength(
      1,
    );

    h.outputs.offline.delete('boiler');
    await h.step(5000);
    expect(h.outputs.held()).toEqual(['boiler.enable@1=1', 'boiler.sp@1=70']);
  });

  it('after a restart keeps a running delay, does not repeat held commands, and frees slots of rules that cleared meanwhile', async () => {
    const store = new InMemoryInterlockStateStore();
    const outputs = new FakeOutputs(SITE);
    const first = await running({ rules: [FREEZE, NO_AIRFLOW], store, outputs });
    first.read('ahu.sat', 3);
    first.read('ahu.fan-status', 0);
    first.tick();
    await first.step(40_000); // freeze active; no-airflow 40 s into 60 s
    await first.service.onModuleDestroy();
    expect(outputs.held()).toEqual(['ahu.htg@2=100', 'ahu.oad@2=10']);
    const commandsBefore = outputs.calls.length;

    const second = await started({ rules: [FREEZE, NO_AIRFLOW], store, outputs, now: first.now + 5000 });
    second.read('ahu.sat', 4); // still freezing
    second.read('ahu.fan-status', 0);
    second.tick();
    await second.step(10_000); // 55 s since the fan stopped
    expect(outputs.held()).toEqual(['ahu.htg@2=100', 'ahu.oad@2=10']);
    expect(outputs.calls.slice(commandsBefore)).toEqual([]);
    await second.step(6000); // 61 s: the delay ran across the restart
    expect(outputs.held()).toEqual(['ahu.htg@2=100', 'ahu.oad@2=10', 'boiler.enable@2=0']);
    await second.service.onModuleDestroy();

    // Down while it warmed up: the freeze rule clears on the first scan after the restart.
    const third = await started({ rules: [FREEZE, NO_AIRFLOW], store, outputs, now: second.now + 60_000 });
    third.read('ahu.sat', 12);
    third.read('ahu.fan-status', 1);
    third.tick();
    await third.step(300);
    expect(outputs.held()).toEqual([]);
    expect(third.interlockEvents()).toContain(
      'interlock:freeze: interlock freeze: relinquish ahu.oad priority 2',
    );
  });

  it('frees an interlock slot no rule holds any more, found in the arrays at start', async () => {
    const outputs = new FakeOutputs(SITE);
    await outputs.command('boiler.sp', { value: 70, priority: 1, source: 'interlock' });
    const h = await running({ rules: [FREEZE], outputs });
    expect(outputs.held()).toEqual([]);
    expect(h.interlockEvents()).toEqual([
      'interlock:unknown: interlock unknown: relinquish boiler.sp priority 1',
    ]);
  });
});
