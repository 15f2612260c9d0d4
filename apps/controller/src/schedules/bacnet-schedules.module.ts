import { Module } from '@nestjs/common';
import { CONFIG } from '../common/tokens.js';
import type { ControllerConfig } from '../config/controller-config.js';
import { ConfigurationService } from '../configuration/configuration.service.js';
import { BacnetSchedulesController } from './bacnet-schedules.controller.js';
import { BacnetScheduleObjects } from './bacnet-schedules.objects.js';
import { BacnetSchedulesService, SCHEDULE_EDITOR, SCHEDULE_OBJECTS } from './bacnet-schedules.service.js';

/** Schedule and calendar import/export to BACnet devices; edits go through the (global) ConfigurationService. */
@Module({
  controllers: [BacnetSchedulesController],
  providers: [
    BacnetSchedulesService,
    { provide: SCHEDULE_EDITOR, useExisting: ConfigurationService },
    {
      provide: SCHEDULE_OBJECTS,
      inject: [CONFIG],
      useFactory: (config: ControllerConfig) =>
        new BacnetScheduleObjects({
          interface: config.bacnet.interface,
          broadcastAddress: config.bacnet.broadcastAddress,
        }),
    },
  ],
})
export class BacnetSchedulesModule {}
