import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module.js';
import { CommandsModule } from '../commands/commands.module.js';
import { ConfigurationModule } from '../configuration/configuration.module.js';
import { FieldbusModule } from '../fieldbus/fieldbus.module.js';
import { CLOUD_TRANSPORT, fetchTransport } from './cloud-transport.js';
import { SyncAlarms } from './sync-alarms.js';
import { SyncController } from './sync.controller.js';
import { SyncService } from './sync.service.js';

/**
 * The sync client; AppModule imports it only when `cloud.url` is configured.
 * LinkService (global LinkModule) and OUTBOX (the outbox module) come from outside.
 */
@Module({
  imports: [AlarmsModule, CommandsModule, ConfigurationModule, FieldbusModule],
  controllers: [SyncController],
  providers: [SyncService, SyncAlarms, { provide: CLOUD_TRANSPORT, useValue: fetchTransport }],
  exports: [SyncService],
})
export class SyncModule {}
