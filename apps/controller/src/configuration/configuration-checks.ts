/**
 * A whole configuration checked with the validators the site loader uses
 * (libs/profiles' site schema definitions and section checks, which run
 * libs/schedules and libs/rules), so an edit through the API is held to
 * exactly what a site file is. Every issue names the part (section and key)
 * and the field inside it.
 */
import { checkSiteSections, fieldName, siteDefinitionFindings } from '#libs/profiles';
import type { Finding, Profile, SiteDevice } from '#libs/profiles';
import type { Configuration } from '#libs/snapshots';

export interface ConfigurationIssue {
  section: 'schedules' | 'calendars' | 'rules';
  /** The part's key: schedule id, calendar name, rule id. */
  key: string;
  /** Inside the part: `weekly.monday[1].time`, `targets[0]`; '' for the part as a whole. */
  field: string;
  message: string;
}

const LABEL = { schedules: 'schedule', calendars: 'calendar', rules: 'rule' } as const;

export function formatConfigurationIssue(issue: ConfigurationIssue): string {
  const field = issue.field === '' ? '' : ` field "${issue.field}"`;
  return `${LABEL[issue.section]} "${issue.key}"${field}: ${issue.message}`;
}

/** An edit that must not be committed; `issues` holds every problem found. */
export class ConfigurationInvalidError extends Error {
  override readonly name = 'ConfigurationInvalidError';
  constructor(readonly issues: ConfigurationIssue[]) {
    super(issues.map(formatConfigurationIssue).join('; '));
  }
}

type SectionName = ConfigurationIssue['section'];
/** The site file's name for each configuration section. */
const SITE_SECTION: Record<string, SectionName | undefined> = {
  schedules: 'schedules',
  calendars: 'calendars',
  interlocks: 'rules',
};

export function checkConfiguration(config: Configuration): ConfigurationIssue[] {
  const issues: ConfigurationIssue[] = [];
  const keyed = (section: SectionName, keyField: 'id' | 'name') => {
    const keys = Object.keys(config[section]).sort();
    keys.forEach((key) => {
      const part = config[section][key] as Record<string, unknown> | null;
      if (part?.[keyField] !== key)
        issues.push({
          section,
          key,
          field: keyField,
          message: `must be "${key}", the key it is stored under`,
        });
    });
    return keys;
  };
  const calendarKeys = keyed('calendars', 'name');
  const scheduleKeys = keyed('schedules', 'id');
  const ruleKeys = keyed('rules', 'id');
  const keysOf: Record<SectionName, string[]> = {
    calendars: calendarKeys,
    schedules: scheduleKeys,
    rules: ruleKeys,
  };

  const damaged = { calendars: new Set<number>(), schedules: new Set<number>() };
  const shape = (section: 'calendars' | 'schedules', definition: 'calendar' | 'schedule') =>
    keysOf[section].forEach((key, i) => {
      const findings = siteDefinitionFindings(definition, config[section][key]);
      if (findings.length > 0) damaged[section].add(i);
      for (const finding of findings)
        issues.push({ section, key, field: fieldName(finding.path), message: finding.message });
    });
  shape('calendars', 'calendar');
  shape('schedules', 'schedule');

  const findings = checkSiteSections({
    devices: Object.values(config.devices) as SiteDevice[],
    profiles: config.profiles as Record<string, Profile>,
    calendars: calendarKeys.map((key) => config.calendars[key]),
    schedules: scheduleKeys.map((key) => config.schedules[key]),
    interlocks: ruleKeys.map((key) => config.rules[key]),
    damaged,
    describe: (path, text) => {
      const section = SITE_SECTION[String(path[0])];
      return section !== undefined && typeof path[1] === 'number' ? `"${keysOf[section][path[1]]}"` : text;
    },
  });
  for (const finding of findings) issues.push(toIssue(finding, keysOf));
  return issues;
}

function toIssue(finding: Finding, keysOf: Record<SectionName, string[]>): ConfigurationIssue {
  const [head, index, ...rest] = finding.path;
  const section = SITE_SECTION[String(head)];
  if (section === undefined || typeof index !== 'number')
    return { section: 'rules', key: '', field: fieldName(finding.path), message: finding.message };
  return { section, key: keysOf[section][index], field: fieldName(rest), message: finding.message };
}

export function assertValidConfiguration(config: Configuration): void {
  const issues = checkConfiguration(config);
  if (issues.length > 0) throw new ConfigurationInvalidError(issues);
}
