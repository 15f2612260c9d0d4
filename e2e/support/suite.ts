/**
 * The demo building for a whole describe block: started before its first
 * test and closed after its last. Call it in the describe body; read
 * `building` and `api` inside tests (not before the hooks have run).
 */
import { afterAll, beforeAll } from '@jest/globals';
import type { Building } from './building.js';
import { demoSiteOnFreePorts, startBuilding } from './building.js';

export interface DemoBuildingSuite {
  readonly building: Building;
  /** The controller's API root, `http://127.0.0.1:<port>/api/v1`. */
  readonly api: string;
}

export function demoBuildingPerSuite(pollIntervalMs: number): DemoBuildingSuite {
  let building: Building | undefined;
  beforeAll(async () => {
    building = await startBuilding(demoSiteOnFreePorts(pollIntervalMs));
  });
  afterAll(async () => {
    await building?.close();
  });
  const started = (): Building => {
    if (!building) throw new Error('the demo building is read before beforeAll has started it');
    return building;
  };
  return {
    get building() {
      return started();
    },
    get api() {
      return `${started().controller.url}/api/v1`;
    },
  };
}
