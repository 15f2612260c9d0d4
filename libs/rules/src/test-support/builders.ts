/** A small air handler and VAV as a point index, snapshots in one line, and the example rules. */
import { parse } from 'yaml';
import type { RulePoint } from '../point-index.js';
import type { Interlock, PointReading, Quality, Snapshot } from '../types.js';

const analogIn = (id: string, unit = 'degC'): RulePoint => ({ id, kind: 'analog', access: 'read', unit });
const analogOut = (id: string, failSafe?: number): RulePoint => ({
  id,
  kind: 'analog',
  access: 'write',
  unit: '%',
  safeRange: { min: 0, max: 100 },
  ...(failSafe === undefined ? {} : { failSafe }),
});

export const POINTS: ReadonlyMap<string, RulePoint> = new Map<string, RulePoint>([
  ['ahu-1.discharge-air-temp', analogIn('discharge-air-temp')],
  ['ahu-1.outside-air-temp', analogIn('outside-air-temp')],
  ['ahu-1.outside-air-damper', analogOut('outside-air-damper', 0)],
  ['ahu-1.heating-valve', analogOut('heating-valve', 0)],
  ['ahu-1.supply-fan-status', { id: 'supply-fan-status', kind: 'binary', access: 'read', unit: '' }],
  ['ahu-1.supply-fan-cmd', { id: 'supply-fan-cmd', kind: 'binary', access: 'write', unit: '', failSafe: 0 }],
  [
    'ahu-1.mode',
    {
      id: 'mode',
      kind: 'multistate',
      access: 'read',
      unit: '',
      states: { '1': 'off', '2': 'heat', '3': 'cool' },
    },
  ],
  ['vav-1-01.zone-temp', analogIn('zone-temp')],
  ['vav-1-01.damper-cmd', analogOut('damper-cmd', 50)],
  ['vav-1-01.reheat-cmd', analogOut('reheat-cmd')],
]);

type ReadingSpec = number | null | [number | null, Quality];

/** `snapshot(1000, { 'ahu-1.discharge-air-temp': 4.5, 'vav-1-01.zone-temp': [null, 'comm-fail'] })` */
export function snapshot(now: number, readings: Record<string, ReadingSpec>): Snapshot {
  const points = new Map<string, PointReading>();
  for (const [key, spec] of Object.entries(readings))
    points.set(
      key,
      Array.isArray(spec) ? { value: spec[0], quality: spec[1] } : { value: spec, quality: 'good' },
    );
  return { now, points };
}

/** The example from issue 4 item 5, as a site file would hold it. */
export const EXAMPLE_YAML = `
- id: freeze-protection
  description: Supply air below 5 °C closes the outside-air damper and opens the heating valve
  when: { point: ahu-1.discharge-air-temp, below: 5, clearAbove: 7 }
  then:
    - { point: ahu-1.outside-air-damper, value: 0, priority: 2 }
    - { point: ahu-1.heating-valve, value: 100, priority: 2 }
- id: proof-of-airflow
  when: { point: ahu-1.supply-fan-status, equals: 0, forSeconds: 30 }
  then: [ { point: ahu-1.heating-valve, value: 0, priority: 1 } ]
- id: zone-sensor-failure
  when: { point: vav-1-01.zone-temp, quality: comm-fail }
  then: [ { point: vav-1-01.damper-cmd, failSafe: true, priority: 2 } ]
`;

export function exampleRules(): Interlock[] {
  return parse(EXAMPLE_YAML) as Interlock[];
}

/** One rule acting on the damper at slot 2 (value 0) when `when` holds. */
export function ruleWhen(when: Interlock['when'], id = 'r'): Interlock {
  return { id, when, then: [{ point: 'ahu-1.outside-air-damper', value: 0, priority: 2 }] };
}
