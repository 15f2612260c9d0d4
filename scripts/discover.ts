/**
 * npm run discover -- --target 127.0.0.1:47811-47818 [options]   (see --help)
 *
 * Scans a BACnet/IP network, reads what each device is, and writes a draft
 * profile per model and a site entry per device (scripts/discover-files.ts),
 * validated with libs/profiles. The work is libs/bacnet's `discover`; this
 * file is the command line, the progress bar and the summary.
 */
import { BacnetClient, discover } from '#libs/bacnet';
import { formatIssue } from '#libs/profiles';
import { DISCOVER_HELP, DiscoverCliError, parseDiscoverCli } from './discover-cli.js';
import { writeDrafts } from './discover-files.js';
import { Progress } from './discover-progress.js';

async function main(): Promise<number> {
  const cli = parseDiscoverCli(process.argv.slice(2));
  if (cli.help) {
    process.stdout.write(DISCOVER_HELP);
    return 0;
  }
  const client = new BacnetClient({
    interface: cli.interface,
    port: cli.port,
    broadcastAddress: cli.broadcast ?? '255.255.255.255:47808',
    timeoutMs: cli.timeoutMs,
    bbmd: cli.bbmd ? { address: cli.bbmd, ttlSeconds: cli.ttlSeconds } : undefined,
  });
  const progress = new Progress(process.stderr);
  await client.start();
  try {
    const fd = client.foreignDevice();
    if (fd && !fd.registered) console.error(`discover: BBMD ${fd.bbmd}: ${fd.lastError ?? 'not registered'}`);
    const result = await discover(client, {
      targets: cli.targets,
      broadcast: cli.broadcast !== undefined || cli.bbmd !== undefined,
      lowLimit: cli.lowLimit,
      highLimit: cli.highLimit,
      waitMs: cli.waitMs,
      siteName: cli.siteName,
      timeZone: cli.timeZone,
      pollIntervalMs: cli.pollIntervalMs,
      onProgress: (p) => progress.update(p),
    });
    progress.done();
    for (const d of result.described)
      console.log(
        `found device ${d.device.deviceInstance} "${d.name}" at ${d.device.address}: ${d.vendorName ?? '?'} ${d.modelName ?? '?'}, ` +
          `${d.objects.length} points, max APDU ${d.device.maxApdu}, RPM ${d.rpm ? 'yes' : 'no'}, COV ${d.cov ? 'yes' : 'no'}` +
          (d.learned.length ? ` (learned: ${d.learned.join('; ')})` : ''),
      );
    for (const s of result.skipped)
      console.log(`skipped device ${s.device.deviceInstance} at ${s.device.address}: ${s.reason}`);
    if (result.described.length === 0) {
      console.error(`discover: no device to draft (${result.found.length} answered Who-Is)`);
      return 1;
    }
    const written = writeDrafts(result, cli.out);
    for (const f of written.profileFiles) console.log(`wrote ${f}`);
    console.log(`wrote ${written.siteFile} (${result.site.devices.length} devices)`);
    if (written.issues.length > 0) {
      for (const issue of written.issues) console.error(formatIssue(issue));
      console.error(`discover: the drafts do not validate (${written.issues.length} issue(s))`);
      return 1;
    }
    console.log(`valid: ${written.profileFiles.length} profile(s) and the site, checked with libs/profiles`);
    return 0;
  } finally {
    progress.done();
    await client.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof DiscoverCliError) {
      console.error(`discover: ${err.message}`);
      process.exitCode = 2;
    } else {
      console.error(`discover: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
  },
);
