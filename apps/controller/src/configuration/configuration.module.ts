import { Global, Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { LoadedSite } from '#libs/profiles';
import { CommandService } from '../commands/command.service.js';
import { CommandsModule } from '../commands/commands.module.js';
import { SITE } from '../common/tokens.js';
import { SNAPSHOT_STORE } from './configuration-store.js';
import { CONFIGURATION } from './configuration.port.js';
import { ConfigurationService } from './configuration.service.js';
import { OVERRIDES, overridesFromCommands } from './overrides.js';
import { appendSnapshotRecords } from './snapshot-outbox.js';
import { SnapshotsController } from './snapshots.controller.js';
import { SqliteSnapshotStore } from './sqlite-snapshot-store.js';

/**
 * Global: the live configuration (CONFIGURATION) for every part that follows
 * it (schedules, interlocks), the service for the APIs that edit it, and the
 * snapshot API. Overrides are read from CommandService (read-only).
 */
@Global()
@Module({
  imports: [CommandsModule],
  controllers: [SnapshotsController],
  providers: [
    {
      provide: SNAPSHOT_STORE,
      // Every version also goes to the outbox, in its own commit's transaction.
      useFactory: (db: DataSource) => SqliteSnapshotStore.fromDataSource(db, appendSnapshotRecords),
      inject: [getDataSourceToken()],
    },
    {
      provide: OVERRIDES,
      useFactory: (commands: CommandService, site: LoadedSite) => overridesFromCommands(commands, site),
      inject: [CommandService, SITE],
    },
    ConfigurationService,
    { provide: CONFIGURATION, useExisting: ConfigurationService },
  ],
  exports: [CONFIGURATION, ConfigurationService],
})
export class ConfigurationModule {}
