/**
 * The controller's entry point. Configuration and the site are validated
 * before anything starts: a bad file stops the start with the file, point and
 * field named and a non-zero exit, never a stack trace.
 */
import { ProfileValidationError, findRepoRoot, loadSite } from '#libs/profiles';
import { startController } from './bootstrap.js';
import { ConfigError, loadConfig } from './config/controller-config.js';

async function main(): Promise<void> {
  const config = loadConfig(process.env, findRepoRoot());
  const site = loadSite(config.site, config.profiles);
  const running = await startController(config, site);
  console.log(
    `controller: site "${site.name}" (${site.devices.length} devices) on ${running.url}/api/v1/points`,
  );
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof ProfileValidationError)
    console.error(`controller: ${err.message}`);
  else console.error(`controller: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
