/**
 * The simulator's entry point: `node dist/apps/simulator/src/main.js --site sites/demo-office.yaml`.
 */
import { resolve } from 'node:path';
import { ProfileValidationError, findRepoRoot, loadSite } from '#libs/profiles';
import { CliError, parseCli } from './cli.js';
import { Simulator } from './simulator.js';
import { FaultError } from './devices/sim-device.js';
import { scheduleObjectsFor } from './devices/schedule-objects.js';

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  const root = findRepoRoot();
  const site = loadSite(resolve(cli.site), resolve(cli.profiles ?? resolve(root, 'hardware-profiles')));
  const scheduleObjects = new Map([...cli.scheduleObjects].map(([id, n]) => [id, scheduleObjectsFor(n)]));
  const sim = await Simulator.start({
    site,
    control: cli.control,
    timeScale: cli.timeScale,
    scheduleObjects,
  });
  for (const [id, faults] of cli.faults) {
    const device = sim.device(id);
    if (!device) throw new CliError(`no device "${id}" in ${cli.site}`);
    device.setFaults(faults);
  }
  for (const d of sim.devices)
    console.log(`simulator: ${d.id.padEnd(20)} ${d.site.profile.padEnd(40)} ${d.address}`);
  console.log(`simulator: ${sim.devices.length} devices up; control API ${sim.controlUrl ?? 'off'}`);
  const stop = (): void => {
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  if (err instanceof ProfileValidationError || err instanceof CliError || err instanceof FaultError) {
    console.error(`simulator: ${err.message}`);
  } else {
    console.error(`simulator: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exit(1);
});
