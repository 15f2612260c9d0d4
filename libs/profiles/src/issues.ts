/**
 * Validation issues: every problem found in a profile or site file names the
 * file, the line, the point or device and the field (CONVENTIONS.md habit 4),
 * so a person can go straight to it.
 */
import path from 'node:path';

export interface ValidationIssue {
  file: string;
  line?: number;
  pointId?: string;
  deviceId?: string;
  /** A named item of a site section: `schedule "office-hours"`, `calendar "public-holidays"`, `interlock "x"`. */
  item?: string;
  field: string;
  message: string;
}

/** Thrown by loadProfile / loadSite; `issues` holds every problem found, not just the first. */
export class ProfileValidationError extends Error {
  override readonly name = 'ProfileValidationError';
  readonly issues: ValidationIssue[];

  constructor(issues: ValidationIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.issues = issues;
  }
}

/** `file:line: point "id" field "modbus.address": message`, with the file relative to process.cwd(). */
export function formatIssue(issue: ValidationIssue): string {
  const file = displayPath(issue.file);
  const where = issue.line === undefined ? file : `${file}:${issue.line}`;
  const subject = [
    issue.deviceId === undefined ? '' : `device "${issue.deviceId}" `,
    issue.item === undefined ? '' : `${issue.item} `,
    issue.pointId === undefined ? '' : `point "${issue.pointId}" `,
    issue.field === '' ? '' : `field "${issue.field}"`,
  ]
    .join('')
    .trim();
  return subject === '' ? `${where}: ${issue.message}` : `${where}: ${subject}: ${issue.message}`;
}

export function displayPath(file: string): string {
  if (!path.isAbsolute(file)) return file;
  const relative = path.relative(process.cwd(), file);
  return relative === '' || relative.startsWith('..') ? file : relative;
}

/** Stable order for people: files in order of first appearance, each by line (whole-file issues first). */
export function sortIssues(issues: ValidationIssue[]): ValidationIssue[] {
  const fileRank = new Map<string, number>();
  for (const issue of issues) if (!fileRank.has(issue.file)) fileRank.set(issue.file, fileRank.size);
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort(
      (a, b) =>
        fileRank.get(a.issue.file)! - fileRank.get(b.issue.file)! ||
        (a.issue.line ?? 0) - (b.issue.line ?? 0) ||
        a.index - b.index,
    )
    .map(({ issue }) => issue);
}
