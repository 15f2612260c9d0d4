/**
 * The controller's one SQLite file (better-sqlite3 12.x; 13 crashes on Node 20).
 * WAL so the API reads while the scan writes; schema only through migrations,
 * run at boot — never `synchronize` outside tests.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { AlarmRow } from '../alarms/alarm.entity.js';
import { PointCommandState } from '../commands/point-command-state.entity.js';
import { EventRow } from '../events/event.entity.js';
import { InterlockStateRow } from '../interlocks/interlock-state.entity.js';
import { PointSample } from '../points/point-sample.entity.js';
import { Init1764230400000 } from './migrations/1764230400000-init.js';
import { Commands1764403200000 } from './migrations/1764403200000-commands.js';
import { Snapshots1764489600000 } from './migrations/1764489600000-snapshots.js';
import { EventsAlarms1764576000000 } from './migrations/1764576000000-events-alarms.js';
import { Interlocks1764662400000 } from './migrations/1764662400000-interlocks.js';
import { Outbox1764835200000 } from './migrations/1764835200000-outbox.js';
import { Audit1764921600000 } from './migrations/1764921600000-audit.js';

export const ENTITIES = [PointSample, PointCommandState, EventRow, AlarmRow, InterlockStateRow];
export const MIGRATIONS = [
  Init1764230400000,
  Commands1764403200000,
  Snapshots1764489600000,
  EventsAlarms1764576000000,
  Interlocks1764662400000,
  Outbox1764835200000,
  Audit1764921600000,
];

export function dataSourceOptions(file: string): DataSourceOptions {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  return {
    type: 'better-sqlite3',
    database: file,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    synchronize: false,
    enableWAL: file !== ':memory:',
    prepareDatabase: (db: { pragma(s: string): unknown }) => {
      // FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on power loss, and the
      // outbox promises that a committed record (an acknowledged event, a sample) survives it.
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
    },
  };
}
