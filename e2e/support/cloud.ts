/**
 * The cloud side of the sync specs: a site created through the admin API and
 * a controller enrolled under it with a key made as the controller makes it.
 */
import type { RunningCloud } from '../../apps/cloud/src/bootstrap.js';
import { admin } from '../../apps/cloud/src/test-support/cloud-fixture.js';
import { loadOrCreateKeys } from '../../apps/controller/src/sync/controller-keys.js';

/** Creates `site`, makes the controller's keys in `keyDir` and enrols it as `name`; returns its id in the cloud. */
export async function enrolController(
  cloud: RunningCloud,
  site: string,
  keyDir: string,
  name: string,
): Promise<number> {
  const created = await admin(cloud, 'POST', '/api/v1/sites', { slug: site });
  if (created.status !== 201) throw new Error(`site not created: ${created.status} ${created.text}`);
  const keys = loadOrCreateKeys(keyDir, { comment: `bulwark-controller@${site}` });
  const enrolled = await admin(cloud, 'POST', `/api/v1/sites/${site}/controllers`, {
    name,
    publicKey: keys.publicLine,
  });
  if (enrolled.status !== 201) throw new Error(`enrolment failed: ${enrolled.status} ${enrolled.text}`);
  return (enrolled.json as { controller: { id: number } }).controller.id;
}
