/**
 * Named errors. Every problem names its path inside the schedule (e.g.
 * `exceptions[2].period.calendar`) so an API can point at the offending field.
 */

export interface ScheduleIssue {
  /** JSON-ish path inside the checked value: `weekly.monday[1].time`, `effectivePeriod`, `timeZone`. */
  path: string;
  message: string;
}

export function formatScheduleIssue(issue: ScheduleIssue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}

/** Every problem found, not just the first; the message lists them one a line. */
abstract class ScheduleIssuesError extends Error {
  override readonly name: string = this.constructor.name;

  constructor(readonly issues: ScheduleIssue[]) {
    super(issues.map(formatScheduleIssue).join('\n'));
  }
}

/** A schedule or calendar that must not be applied. */
export class ScheduleValidationError extends ScheduleIssuesError {}

/** A BACnet Schedule or Calendar value that the plain types cannot hold (or the reverse). */
export class BacnetConversionError extends ScheduleIssuesError {}
