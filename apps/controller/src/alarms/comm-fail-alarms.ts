/**
 * A device in comm-fail raises an alarm (kind 'comm-fail', subject the device
 * id, severity major); it clears when the device answers again. The device's
 * state is read after every scan of it (ScannerService.scans$), so the alarm
 * follows the same state /health shows, within one poll. After a restart an
 * uncleared alarm of a device that answers is cleared at its first scan.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import type { DeviceHealthDto } from '#libs/contracts';
import { LOGGER } from '../common/tokens.js';
import { ScannerService } from '../fieldbus/scanner.service.js';
import { AlarmService } from './alarm.service.js';
import type { AlarmPort } from './alarm.service.js';
import { Detector } from './detector-support.js';

export const COMM_FAIL_SOURCE = 'scanner';

/** What the detector reads of the scanner. */
export interface DeviceStates {
  readonly scans$: Observable<{ deviceId: string }>;
  deviceHealth(deviceId: string): DeviceHealthDto | undefined;
}

@Injectable()
export class CommFailAlarms extends Detector implements OnApplicationBootstrap {
  private readonly last = new Map<string, DeviceHealthDto['state']>();

  constructor(
    @Inject(ScannerService) private readonly scanner: DeviceStates,
    @Inject(AlarmService) private readonly alarms: AlarmPort,
    @Inject(LOGGER) log: Logger,
  ) {
    super(log, 'comm-fail alarms');
  }

  onApplicationBootstrap(): void {
    this.sub = this.scanner.scans$.subscribe(({ deviceId }) => this.check(deviceId));
  }

  private check(deviceId: string): void {
    const device = this.scanner.deviceHealth(deviceId);
    if (!device || device.state === 'starting' || device.state === this.last.get(deviceId)) return;
    this.last.set(deviceId, device.state);
    if (device.state === 'comm-fail') {
      const why = device.lastError ?? 'no answer';
      void this.queue.push(() =>
        this.alarms.raise(
          {
            kind: 'comm-fail',
            subject: deviceId,
            severity: 'major',
            message: `device ${deviceId} (${device.protocol}) does not answer: ${why}`,
            data: { protocol: device.protocol, error: why },
          },
          COMM_FAIL_SOURCE,
        ),
      );
    } else {
      void this.queue.push(() =>
        this.alarms.clear('comm-fail', deviceId, COMM_FAIL_SOURCE, `device ${deviceId} answers again`),
      );
    }
  }
}
