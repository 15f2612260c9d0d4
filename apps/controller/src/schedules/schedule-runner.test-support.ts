/**
 * Test support for the schedule runner: a CONFIGURATION port double (a
 * BehaviorSubject the test edits) and small schedule builders.
 */
import { BehaviorSubject } from 'rxjs';
import type { Observable } from 'rxjs';
import type { Configuration } from '#libs/snapshots';
import type { Calendar } from '#libs/schedules';
import type {
  ConfigurationPort,
  ConfigurationState,
  ControllerSchedule,
} from '../configuration/configuration.port.js';
import { everyDay } from '../../../../libs/schedules/src/test-support/builders.js';

export { everyDay };

export function controllerSchedule(
  id: string,
  overrides: Partial<ControllerSchedule> & Pick<ControllerSchedule, 'kind' | 'targets'>,
): ControllerSchedule {
  return {
    id,
    name: id,
    weekly: everyDay([]),
    exceptions: [],
    effectivePeriod: { from: 'any', to: 'any' },
    scheduleDefault: null,
    ...overrides,
  };
}

/** The configuration port as the runner sees it; `set` publishes a new head version. */
export class FakeConfiguration implements ConfigurationPort {
  private readonly subject: BehaviorSubject<ConfigurationState>;
  readonly changes$: Observable<ConfigurationState>;
  private seq = 0;

  constructor(schedules: ControllerSchedule[], timeZone = 'Europe/Berlin', calendars: Calendar[] = []) {
    this.subject = new BehaviorSubject(this.state(schedules, timeZone, calendars));
    this.changes$ = this.subject.asObservable();
  }

  current(): ConfigurationState {
    return this.subject.value;
  }

  set(schedules: ControllerSchedule[], timeZone = 'Europe/Berlin', calendars: Calendar[] = []): void {
    this.subject.next(this.state(schedules, timeZone, calendars));
  }

  private state(
    schedules: ControllerSchedule[],
    timeZone: string,
    calendars: Calendar[],
  ): ConfigurationState {
    const configuration: Configuration = {
      site: { name: 'Test site', timeZone },
      devices: {},
      profiles: {},
      schedules: Object.fromEntries(schedules.map((s) => [s.id, s])),
      calendars: Object.fromEntries(calendars.map((c) => [c.name, c])),
      rules: {},
      overrides: {},
    };
    const n = ++this.seq;
    return {
      version: {
        id: `v${n}`,
        parent: n === 1 ? null : `v${n - 1}`,
        createdAt: new Date(0).toISOString(),
        author: 'test',
        message: `version ${n}`,
        rootHash: `${'0'.repeat(63)}${n % 10}`,
        kind: 'edit',
      },
      configuration,
    };
  }
}
