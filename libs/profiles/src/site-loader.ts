/**
 * Site files: YAML -> JSON Schema -> each referenced profile loaded and
 * validated -> site rules -> LoadedSite. Issues in a profile are reported
 * against the profile's own file, once, however many devices use it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { displayPath, ProfileValidationError, sortIssues } from './issues.js';
import type { ValidationIssue } from './issues.js';
import { locate, schemaDamage } from './locate.js';
import { readText, syntaxIssue, validateProfileFile } from './profile-loader.js';
import { schemaFindings } from './schema-check.js';
import type { Finding } from './schema-check.js';
import { checkAlarmLimits } from './alarm-limit-checks.js';
import { checkSite } from './site-checks.js';
import { checkSiteSections } from './site-sections.js';
import type { DeviceEntry } from './site-checks.js';
import type { LoadedSite, Profile, SiteFile } from './types.js';
import { parseYamlSource } from './yaml-source.js';

export function parseSite(
  text: string,
  file: string,
  profilesRoot: string,
): { value?: LoadedSite; issues: ValidationIssue[] } {
  const source = parseYamlSource(text);
  if (source.syntaxProblems.length > 0) {
    return { issues: source.syntaxProblems.map((problem) => syntaxIssue(file, problem)) };
  }
  const data = source.data;
  // The rules' own validator names shape problems of interlocks more plainly than ajv's oneOf branches.
  const findings: Finding[] = schemaFindings('site', data).filter(
    (f) => !(f.path[0] === 'interlocks' && typeof f.path[1] === 'number'),
  );
  const profileIssues: ValidationIssue[] = [];
  const profiles = new Map<string, Profile>();

  // Damage inside a section's items is handled per item (damagedItems); only the rest stops the checks.
  const damage = schemaDamage(
    findings.filter((f) => !SECTIONS.includes(f.path[0] as string) || f.path.length < 2),
    'devices',
  );
  if (!damage.topLevel) {
    const site = data as SiteFile;
    const devices: DeviceEntry[] = site.devices
      .map((device, index) => ({ device, index }))
      .filter(({ index }) => !damage.items.has(index));
    const loaded = new Map<string, ReturnType<typeof loadReferencedProfile>>();
    for (const { device, index } of devices) {
      let result = loaded.get(device.profile);
      if (result === undefined) {
        result = loadReferencedProfile(profilesRoot, device.profile);
        loaded.set(device.profile, result);
        if (result.profile !== undefined) profiles.set(device.profile, result.profile);
        profileIssues.push(...result.issues); // once per profile file, however many devices use it
      }
      if (result.missing !== undefined) {
        findings.push({ path: ['devices', index, 'profile'], message: result.missing });
      }
    }
    findings.push(...checkSite({ site, devices, profiles, lineAt: source.lineAt }));
    findings.push(
      ...checkAlarmLimits({ alarmLimits: site.alarmLimits, devices, profiles, lineAt: source.lineAt }),
    );
    findings.push(
      ...checkSiteSections({
        devices: devices.map(({ device }) => device),
        profiles: Object.fromEntries(profiles),
        calendars: site.calendars,
        schedules: site.schedules,
        interlocks: site.interlocks,
        damaged: {
          calendars: damagedItems(findings, 'calendars'),
          schedules: damagedItems(findings, 'schedules'),
        },
        describe: (at, text) => {
          const line = source.lineAt(at);
          return line === undefined ? text : `${text} (line ${line})`;
        },
      }),
    );
  }

  const issues = [
    ...sortIssues(findings.map((finding) => locate(file, source, data, 'devices', finding))),
    ...profileIssues,
  ];
  if (issues.length > 0) return { issues };
  return { value: { ...(data as SiteFile), file, profiles: Object.fromEntries(profiles) }, issues };
}

export function validateSiteFile(
  file: string,
  profilesRoot: string,
): { site?: LoadedSite; issues: ValidationIssue[] } {
  const text = readText(file);
  if (typeof text !== 'string') return { issues: [text] };
  const { value, issues } = parseSite(text, file, profilesRoot);
  return value === undefined ? { issues } : { site: value, issues };
}

/** The site in `file` with every profile it names, or a ProfileValidationError listing every issue. */
export function loadSite(file: string, profilesRoot: string): LoadedSite {
  const { site, issues } = validateSiteFile(file, profilesRoot);
  if (site === undefined) throw new ProfileValidationError(issues);
  return site;
}

const SECTIONS = ['calendars', 'schedules', 'interlocks'];

/** Items of a section the schema rejected: the section checks skip them. */
function damagedItems(findings: readonly Finding[], section: string): Set<number> {
  const damaged = new Set<number>();
  for (const { path } of findings)
    if (path[0] === section && typeof path[1] === 'number') damaged.add(path[1]);
  return damaged;
}

function loadReferencedProfile(
  profilesRoot: string,
  relative: string,
): { profile?: Profile; missing?: string; issues: ValidationIssue[] } {
  const file = path.join(profilesRoot, relative);
  const inside = path.relative(profilesRoot, file);
  if (inside.startsWith('..') || path.isAbsolute(inside)) {
    return { missing: `"${relative}" points outside the profiles directory`, issues: [] };
  }
  if (!fs.existsSync(file)) {
    return { missing: `no profile "${relative}" in ${displayPath(path.resolve(profilesRoot))}`, issues: [] };
  }
  return validateProfileFile(file);
}
