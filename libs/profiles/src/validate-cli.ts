/**
 * `npm run profiles:validate` (scripts/profiles-validate.ts) lives here so it
 * can be tested without a build.
 *
 *   profiles:validate                      every profile under hardware-profiles/ and site under sites/
 *   profiles:validate <file|dir>...        those files (directories: every *.yaml inside)
 *   profiles:validate --expect-invalid <file|dir>...   each file must be rejected (negative fixtures)
 *   --profiles-root <dir>                  where sites' profile paths resolve (default hardware-profiles/)
 *
 * A file is a site when its top level has `devices`, else a profile.
 * Returns the exit code: 0 all as expected, 1 otherwise, 2 for bad usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { displayPath, formatIssue } from './issues.js';
import type { ValidationIssue } from './issues.js';
import { listProfileFiles } from './list-files.js';
import { validateProfileFile } from './profile-loader.js';
import { findRepoRoot } from './repo-root.js';
import { validateSiteFile } from './site-loader.js';

export interface CliOptions {
  /** Where output lines go; default console.log. */
  out?: (line: string) => void;
  /** Repository root for the defaults; default found from this file. */
  repoRoot?: string;
}

interface Parsed {
  files: string[];
  expectInvalid: boolean;
  profilesRoot?: string;
}

export function runValidateCli(argv: readonly string[], options: CliOptions = {}): number {
  const out = options.out ?? ((line: string) => console.log(line));
  const parsed = parseArgs(argv);
  if (typeof parsed === 'string') {
    out(`profiles:validate: ${parsed}`);
    return 2;
  }
  const repoRoot = options.repoRoot ?? findRepoRoot();
  const profilesRoot = parsed.profilesRoot ?? path.join(repoRoot, 'hardware-profiles');
  const files = parsed.files.length > 0 ? expand(parsed.files) : defaultFiles(repoRoot);
  if (typeof files === 'string') {
    out(`profiles:validate: ${files}`);
    return 2;
  }
  const results = files.map((file) => ({ file, issues: validate(file, profilesRoot) }));
  return parsed.expectInvalid ? reportExpectInvalid(results, out) : reportValidation(results, out);
}

function parseArgs(argv: readonly string[]): Parsed | string {
  const parsed: Parsed = { files: [], expectInvalid: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--expect-invalid') parsed.expectInvalid = true;
    else if (arg === '--profiles-root') {
      const value = argv[++i];
      if (value === undefined) return '--profiles-root needs a directory';
      parsed.profilesRoot = value;
    } else if (arg.startsWith('--')) return `unknown option ${arg}`;
    else parsed.files.push(arg);
  }
  if (parsed.expectInvalid && parsed.files.length === 0) return '--expect-invalid needs files';
  return parsed;
}

function expand(paths: string[]): string[] | string {
  const files: string[] = [];
  for (const given of paths) {
    if (!fs.existsSync(given)) return `no such file or directory: ${given}`;
    if (fs.statSync(given).isDirectory()) files.push(...listProfileFiles(given));
    else files.push(given);
  }
  return files;
}

function defaultFiles(repoRoot: string): string[] {
  const profiles = path.join(repoRoot, 'hardware-profiles');
  const sites = path.join(repoRoot, 'sites');
  return [
    ...(fs.existsSync(profiles) ? listProfileFiles(profiles) : []),
    ...(fs.existsSync(sites) ? listProfileFiles(sites) : []),
  ];
}

function validate(file: string, profilesRoot: string): ValidationIssue[] {
  return isSite(file) ? validateSiteFile(file, profilesRoot).issues : validateProfileFile(file).issues;
}

function isSite(file: string): boolean {
  try {
    const data: unknown = parse(fs.readFileSync(file, 'utf8'));
    return data !== null && typeof data === 'object' && 'devices' in data;
  } catch {
    return false; // unreadable or broken YAML: either loader reports it the same way
  }
}

function reportValidation(
  results: { file: string; issues: ValidationIssue[] }[],
  out: (line: string) => void,
): number {
  const printed = new Set<string>(); // a site repeats the issues of the profiles it uses
  let invalid = 0;
  let issueCount = 0;
  for (const { file, issues } of results) {
    if (issues.length === 0) {
      out(`ok ${displayPath(path.resolve(file))}`);
      continue;
    }
    invalid++;
    for (const line of issues.map(formatIssue)) {
      if (printed.has(line)) continue;
      printed.add(line);
      issueCount++;
      out(line);
    }
  }
  out(
    `${count(results.length, 'file')} checked: ${results.length - invalid} ok, ${invalid} invalid, ${count(issueCount, 'issue')}`,
  );
  return invalid === 0 ? 0 : 1;
}

function reportExpectInvalid(
  results: { file: string; issues: ValidationIssue[] }[],
  out: (line: string) => void,
): number {
  let accepted = 0;
  for (const { file, issues } of results) {
    if (issues.length === 0) {
      accepted++;
      out(`NOT REJECTED ${displayPath(path.resolve(file))}`);
      continue;
    }
    out(`rejected ${displayPath(path.resolve(file))}`);
    for (const issue of issues) out(`  ${formatIssue(issue)}`);
  }
  out(`${results.length - accepted} of ${count(results.length, 'file')} rejected as expected`);
  return accepted === 0 ? 0 : 1;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
