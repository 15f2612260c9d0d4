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

/** A schedule or calendar that must not be applied; `issues` holds every problem found, not just the first. */
export class ScheduleValidationError extends Error {
  override readonly name = 'ScheduleValidationError';
  readonly issues: ScheduleIssue[];

  constructor(issues: ScheduleIssue[]) {
    super(issues.map(formatScheduleIssue).join('\n'));
    this.issues = issues;
  }
}

/** A BACnet Schedule or Calendar value that the plain types cannot hold (or the reverse). */
export class BacnetConversionError extends Error {
  override readonly name = 'BacnetConversionError';
  readonly issues: ScheduleIssue[];

  constructor(issues: ScheduleIssue[]) {
    super(issues.map(formatScheduleIssue).join('\n'));
    this.issues = issues;
  }
}
