/**
 * IANA time zone names, checked against the runtime's own tz database (the
 * one schedules are evaluated with), so a zone accepted here works there.
 */
let canonical: Map<string, string> | undefined;

/** undefined when `zone` is a usable IANA name, else why not. */
export function timeZoneProblem(zone: string): string | undefined {
  canonical ??= new Map(Intl.supportedValuesOf('timeZone').map((name) => [name.toLowerCase(), name]));
  if (canonical.get(zone.toLowerCase()) === zone) return undefined;
  const differentCase = canonical.get(zone.toLowerCase());
  if (differentCase !== undefined)
    return `"${zone}" is not spelled as in the IANA database: use "${differentCase}"`;
  // Offsets such as "+01:00" have no DST rules: a site needs a named zone.
  if (/^[A-Za-z]/.test(zone) && isKnownToIntl(zone)) return undefined; // an alias such as "US/Eastern" or "UTC"
  return `"${zone}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York)`;
}

function isKnownToIntl(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
