import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { LoadedSite } from '#libs/profiles';
import { CLOCK } from './common/clock.js';
import type { Clock } from './common/clock.js';
import { CONFIG, LOGGER, SITE } from './common/tokens.js';
import type { ControllerConfig } from './config/controller-config.js';
import { AlarmsModule } from './alarms/alarms.module.js';
import { AuditModule } from './audit/audit.module.js';
import { CommandsModule } from './commands/commands.module.js';
import { ConfigurationModule } from './configuration/configuration.module.js';
import { dataSourceOptions } from './database/data-source.js';
import { EventsModule } from './events/events.module.js';
import { FieldbusModule } from './fieldbus/fieldbus.module.js';
import { HealthModule } from './health/health.module.js';
import { InterlocksModule } from './interlocks/interlocks.module.js';
import { LinkModule } from './link/link.module.js';
import { OutboxModule } from './outbox/outbox.module.js';
import { SyncModule } from './sync/sync.module.js';
import { ScheduleRunnerModule } from './schedules/schedule-runner.module.js';
import { PointsModule } from './points/points.module.js';
import { SchedulesModule } from './schedules/schedules.module.js';
import { BacnetSchedulesModule } from './schedules/bacnet-schedules.module.js';

export interface AppDeps {
  config: ControllerConfig;
  site: LoadedSite;
  logger: Logger;
  clock: Clock;
}

/** Boot hands over what it validated; the modules below receive it by token. */
@Module({})
export class AppModule {
  static forRoot(deps: AppDeps): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        TypeOrmModule.forRoot(dataSourceOptions(deps.config.database)),
        EventsModule,
        OutboxModule,
        AuditModule,
        PointsModule,
        FieldbusModule,
        HealthModule,
        CommandsModule,
        ConfigurationModule,
        SchedulesModule,
        BacnetSchedulesModule,
        AlarmsModule,
        InterlocksModule,
        LinkModule,
        ScheduleRunnerModule,
        // The sync client exists only with a cloud to talk to (link driver 'cloud').
        ...(deps.config.cloud?.url && deps.config.link?.driver === 'cloud' ? [SyncModule] : []),
      ],
      providers: [
        { provide: CONFIG, useValue: deps.config },
        { provide: SITE, useValue: deps.site },
        { provide: LOGGER, useValue: deps.logger },
        { provide: CLOCK, useValue: deps.clock },
      ],
      exports: [CONFIG, SITE, LOGGER, CLOCK],
    };
  }
}
