import { Module } from '@nestjs/common';
import { BacnetClient } from '#libs/bacnet';
import type { LoadedSite, Protocol } from '#libs/profiles';
import { CONFIG, SITE } from '../common/tokens.js';
import type { ControllerConfig } from '../config/controller-config.js';
import { PointsModule } from '../points/points.module.js';
import { BacnetDriver } from './bacnet-driver.js';
import { FIELDBUS_DRIVERS } from './fieldbus-driver.js';
import type { DriverRegistry, FieldbusDriver } from './fieldbus-driver.js';
import { ModbusDriver } from './modbus-driver.js';
import { ScannerService } from './scanner.service.js';

const BACNET_TIMEOUT_MS = 2000;

@Module({
  imports: [PointsModule],
  providers: [
    {
      provide: FIELDBUS_DRIVERS,
      inject: [CONFIG, SITE],
      useFactory: (config: ControllerConfig, site: LoadedSite): DriverRegistry => {
        // One socket for all BACnet devices: its timeout is the shortest poll interval, so a dead device costs one poll at most.
        const intervals = site.devices.filter((d) => d.bacnet).map((d) => d.pollIntervalMs);
        const timeoutMs = Math.min(BACNET_TIMEOUT_MS, ...intervals);
        const bacnet = new BacnetClient({ ...config.bacnet, timeoutMs });
        const drivers: FieldbusDriver[] = [new ModbusDriver(), new BacnetDriver(bacnet)];
        return new Map<Protocol, FieldbusDriver>(drivers.map((d) => [d.protocol, d]));
      },
    },
    ScannerService,
  ],
  exports: [ScannerService],
})
export class FieldbusModule {}
