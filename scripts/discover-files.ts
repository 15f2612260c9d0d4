/**
 * Writes what discovery drafted: one YAML file per profile under
 * <out>/bacnet/<vendor>/<model>.yaml and <out>/site.yaml, then validates them
 * with libs/profiles exactly as the controller would load them (the site
 * with <out> as its profiles root). An existing file is never overwritten:
 * the draft goes beside it with a numbered name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { validateSiteFile } from '#libs/profiles';
import type { ValidationIssue } from '#libs/profiles';
import type { DiscoverResult } from '#libs/bacnet';

export interface WrittenDrafts {
  siteFile: string;
  profileFiles: string[];
  issues: ValidationIssue[];
}

function freeName(file: string): string {
  if (!fs.existsSync(file)) return file;
  const ext = path.extname(file);
  const stem = file.slice(0, -ext.length);
  for (let n = 2; ; n++) if (!fs.existsSync(`${stem}-${n}${ext}`)) return `${stem}-${n}${ext}`;
}

const yaml = (data: unknown): string => stringify(data, { lineWidth: 110, minContentWidth: 40 });

export function writeDrafts(result: DiscoverResult, out: string): WrittenDrafts {
  fs.mkdirSync(out, { recursive: true });
  const renamed = new Map<string, string>();
  const profileFiles: string[] = [];
  for (const drafted of result.profiles) {
    const file = freeName(path.join(out, drafted.path));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const header =
      `# Draft BACnet profile written by npm run discover for device(s) ${drafted.deviceInstances.join(', ')}.\n` +
      '# Validated with libs/profiles; review it against the vendor documentation, then move it under hardware-profiles/.\n';
    fs.writeFileSync(file, header + yaml(drafted.profile));
    renamed.set(drafted.path, path.relative(out, file).split(path.sep).join('/'));
    profileFiles.push(file);
  }
  const site = {
    ...result.site,
    devices: result.site.devices.map((d) => ({ ...d, profile: renamed.get(d.profile) ?? d.profile })),
  };
  const siteFile = freeName(path.join(out, 'site.yaml'));
  fs.writeFileSync(
    siteFile,
    `# Draft site written by npm run discover; profile paths are relative to ${out} (the profiles root for it).\n` +
      yaml(site),
  );
  const { issues } = validateSiteFile(siteFile, out);
  return { siteFile, profileFiles, issues };
}
