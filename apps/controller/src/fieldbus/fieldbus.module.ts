import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { BacnetClient } from '#libs/bacnet';
import { BusRegistry, systemClock } from '#libs/fieldbus';
import type { FieldbusDriver } from '#libs/fieldbus';
import type { LoadedSite, Protocol } from '#libs/profiles';
import { CONFIG, LOGGER, SITE } from '../common/tokens.js';
import type { ControllerConfig } from '../config/controller-config.js';
import { PointsModule } from '../points/points.module.js';
import { WriteService } from '../writes/write.service.js';
import { BacnetDriver } from './bacnet-driver.js';
import { FIELDBUS_BUSES, FIELDBUS_DRIVERS } from './driver-registry.js';
import type { DriverRegistry } from './driver-registry.js';
import { ModbusDriver } from './modbus-driver.js';
import { ScannerService } from './scanner.service.js';

const BACNET_TIMEOUT_MS = 2000;

/**
 * The drivers (one per protocol, FIELDBUS_DRIVERS), the buses they share
 * (FIELDBUS_BUSES), the scanner, and the verified write path. WriteService
 * lives in writes/ and is provided here so it needs no module of its own
 * until command arbitration gives it one.
 */
@Module({
  imports: [PointsModule],
  providers: [
    { provide: FIELDBUS_BUSES, useFactory: () => new BusRegistry({ clock: systemClock }) },
    {
      provide: FIELDBUS_DRIVERS,
      inject: [CONFIG, SITE, FIELDBUS_BUSES, LOGGER],
      useFactory: (
        config: ControllerConfig,
        site: LoadedSite,
        buses: BusRegistry,
        log: Logger,
      ): DriverRegistry => {
        // One socket for all BACnet devices: its timeout is the shortest poll interval, so a dead device costs one poll at most.
        const intervals = site.devices.filter((d) => d.bacnet).map((d) => d.pollIntervalMs);
        const timeoutMs = Math.min(BACNET_TIMEOUT_MS, ...intervals);
        const bacnet = new BacnetClient({ ...config.bacnet, timeoutMs });
        const drivers: FieldbusDriver[] = [
          new ModbusDriver({ buses }),
          new BacnetDriver(bacnet, {
            buses,
            onLearn: (device, what) => log.info({ device }, `device ${device}: ${what}`),
          }),
        ];
        return new Map<Protocol, FieldbusDriver>(drivers.map((d) => [d.protocol, d]));
      },
    },
    ScannerService,
    WriteService,
  ],
  exports: [ScannerService, WriteService, FIELDBUS_DRIVERS, FIELDBUS_BUSES],
})
export class FieldbusModule {}
