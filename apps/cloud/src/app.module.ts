import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import { GracefulHttpShutdown } from './common/graceful-shutdown.js';
import { CLOCK, CLOUD_CONFIG, LOGGER, PUBLIC_ORIGIN } from './common/tokens.js';
import type { Clock, PublicOrigin } from './common/tokens.js';
import type { CloudConfig } from './config/cloud-config.js';
import { cloudDataSourceOptions } from './database/data-source.js';
import { EnrolmentModule } from './enrolment/enrolment.module.js';
import { IngestModule } from './ingest/ingest.module.js';
import { ShadowModule } from './shadow/shadow.module.js';

export interface CloudDeps {
  config: CloudConfig;
  logger: Logger;
  clock: Clock;
  origin: PublicOrigin;
}

/** Boot hands over what it validated; the modules below receive it by token. */
@Module({})
export class CloudAppModule {
  static forRoot(deps: CloudDeps): DynamicModule {
    return {
      module: CloudAppModule,
      global: true,
      imports: [
        TypeOrmModule.forRoot({
          ...cloudDataSourceOptions(deps.config.databaseUrl),
          retryAttempts: 3,
          retryDelay: 1000,
        }),
        EnrolmentModule,
        IngestModule,
        ShadowModule,
      ],
      providers: [
        GracefulHttpShutdown,
        { provide: CLOUD_CONFIG, useValue: deps.config },
        { provide: LOGGER, useValue: deps.logger },
        { provide: CLOCK, useValue: deps.clock },
        { provide: PUBLIC_ORIGIN, useValue: deps.origin },
      ],
      exports: [CLOUD_CONFIG, LOGGER, CLOCK, PUBLIC_ORIGIN],
    };
  }
}
