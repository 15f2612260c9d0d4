/**
 * The cloud's PostgreSQL (issue 5 item 1). Schema only through migrations,
 * run at boot (`migrationsRun`), never `synchronize` (STACK.md). A new table
 * is a new migration here, registered in MIGRATIONS.
 */
import type { DataSourceOptions } from 'typeorm';
import {
  ControllerKeyRow,
  ControllerProgressRow,
  ControllerRow,
  OrganizationRow,
  SiteRow,
  UsedNonceRow,
} from './entities/fleet.entities.js';
import {
  CloudAlarmRow,
  CloudAuditRow,
  CloudEventRow,
  LossLedgerRow,
  PointRow,
  SampleRow,
  SnapshotBlobRow,
  SnapshotVersionRow,
  ThinnedRangeRow,
} from './entities/outbox.entities.js';
import { DesiredStateRow, ReportedStateRow } from './entities/shadow-state.entities.js';
import { CloudInit1764748800000 } from './migrations/1764748800000-init.js';

export const CLOUD_ENTITIES = [
  OrganizationRow,
  SiteRow,
  ControllerRow,
  ControllerKeyRow,
  ControllerProgressRow,
  UsedNonceRow,
  PointRow,
  SampleRow,
  CloudEventRow,
  CloudAlarmRow,
  CloudAuditRow,
  SnapshotVersionRow,
  SnapshotBlobRow,
  LossLedgerRow,
  ThinnedRangeRow,
  DesiredStateRow,
  ReportedStateRow,
];
export const CLOUD_MIGRATIONS = [CloudInit1764748800000];

export function cloudDataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: CLOUD_ENTITIES,
    migrations: CLOUD_MIGRATIONS,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Ingest holds one connection per batch transaction; the rest is the admin API and the nonce cache.
    extra: { max: 10 },
  };
}
