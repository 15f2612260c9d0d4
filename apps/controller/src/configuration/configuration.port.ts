/**
 * The live configuration (DESIGN.md point 8): the head version of the snapshot
 * store, as the running parts of the controller consume it. Schedules,
 * calendars, interlock rules and overrides are applied live when the head
 * moves; see configuration.service.ts for what a change to devices or
 * profiles needs.
 */
import type { Observable } from 'rxjs';
import type { Configuration, Version } from '#libs/snapshots';
import type { Schedule } from '#libs/schedules';

/** Local schedules command slot 16; fallback schedules slot 12, in force only while AUTONOMOUS (DESIGN.md point 2). */
export type ScheduleKind = 'local' | 'fallback';

/**
 * A schedule as the controller stores it in `Configuration.schedules[id]`:
 * the pure schedule (libs/schedules) plus the points it commands
 * (`device.point` keys of writable points) and its kind.
 */
export interface ControllerSchedule extends Schedule {
  kind: ScheduleKind;
  targets: string[];
}

export interface ConfigurationState {
  version: Version;
  configuration: Configuration;
}

export interface ConfigurationPort {
  /** The head; available once the application has bootstrapped. */
  current(): ConfigurationState;
  /** Emits the head now and on every change (edit or rollback), in order. */
  readonly changes$: Observable<ConfigurationState>;
}

export const CONFIGURATION = Symbol('CONFIGURATION');
