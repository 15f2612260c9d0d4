/**
 * Hardware profiles: YAML -> JSON Schema -> semantic checks -> Profile.
 * Every issue carries its file and line; nothing is thrown for bad input
 * except by loadProfile, which wraps all issues in one ProfileValidationError.
 */
import fs from 'node:fs';
import { checkBacnet } from './bacnet-checks.js';
import type { PointEntry, ProfileCheck } from './check-context.js';
import { ProfileValidationError, sortIssues } from './issues.js';
import type { ValidationIssue } from './issues.js';
import { locate, schemaDamage } from './locate.js';
import { checkModbus } from './modbus-checks.js';
import { checkPoints } from './point-checks.js';
import { schemaFindings } from './schema-check.js';
import type { Finding } from './schema-check.js';
import type { Profile } from './types.js';
import { parseYamlSource } from './yaml-source.js';

const CHECKS: ProfileCheck[] = [checkPoints, checkModbus, checkBacnet];

export function parseProfile(text: string, file: string): { value?: Profile; issues: ValidationIssue[] } {
  const source = parseYamlSource(text);
  if (source.syntaxProblems.length > 0) {
    return { issues: source.syntaxProblems.map((problem) => syntaxIssue(file, problem)) };
  }
  const data = source.data;
  const findings: Finding[] = schemaFindings('profile', data);
  const damage = schemaDamage(findings, 'points');
  if (!damage.topLevel) {
    const profile = data as Profile;
    const points: PointEntry[] = profile.points
      .map((point, index) => ({ point, index }))
      .filter(({ index }) => !damage.items.has(index));
    const context = { profile, points, lineAt: source.lineAt };
    for (const check of CHECKS) findings.push(...check(context));
  }
  const issues = sortIssues(findings.map((finding) => locate(file, source, data, 'points', finding)));
  return issues.length === 0 ? { value: data as Profile, issues } : { issues };
}

export function validateProfileFile(file: string): { profile?: Profile; issues: ValidationIssue[] } {
  const text = readText(file);
  if (typeof text !== 'string') return { issues: [text] };
  const { value, issues } = parseProfile(text, file);
  return value === undefined ? { issues } : { profile: value, issues };
}

/** The profile in `file`, or a ProfileValidationError listing every issue. */
export function loadProfile(file: string): Profile {
  const { profile, issues } = validateProfileFile(file);
  if (profile === undefined) throw new ProfileValidationError(issues);
  return profile;
}

export function syntaxIssue(file: string, problem: { line?: number; message: string }): ValidationIssue {
  return problem.line === undefined
    ? { file, field: '', message: problem.message }
    : { file, line: problem.line, field: '', message: problem.message };
}

/** The file's text, or an issue saying why it could not be read. */
export function readText(file: string): string | ValidationIssue {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : String(error);
    return { file, field: '', message: `cannot read: ${reason}` };
  }
}
