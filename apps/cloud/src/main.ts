/**
 * The cloud's entry point: configuration validated before anything starts
 * (bad values named, non-zero exit), migrations run at boot.
 */
import { startCloud } from './bootstrap.js';
import { ConfigError, loadCloudConfig } from './config/cloud-config.js';

async function main(): Promise<void> {
  const config = loadCloudConfig(process.env);
  const running = await startCloud(config);
  console.log(`cloud: listening on ${running.url}, controllers sign for ${running.origin}`);
  if (config.adminToken === undefined) {
    console.log('cloud: admin API disabled (set BULWARK_CLOUD_ADMIN_TOKEN); enrol with the CLI instead');
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(`cloud: ${err.message}`);
  else console.error(`cloud: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
