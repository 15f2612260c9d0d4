import { Controller, Get, Inject } from '@nestjs/common';
import type { LoadedSite } from '#libs/profiles';
import type { HealthDto, PointQuality } from '#libs/contracts';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { SITE } from '../common/tokens.js';
import { ScannerService } from '../fieldbus/scanner.service.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { LiveValues } from '../points/live-values.js';

@Controller('api/v1/health')
export class HealthController {
  private readonly startedAt: number;

  constructor(
    @Inject(SITE) private readonly site: LoadedSite,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly scanner: ScannerService,
    private readonly live: LiveValues,
    private readonly outbox: OutboxService,
  ) {
    this.startedAt = clock.now();
  }

  /** `degraded` while any device is in comm-fail: the building still runs, but someone should look. */
  @Get()
  health(): HealthDto {
    const points: Record<PointQuality, number> = { good: 0, stale: 0, 'comm-fail': 0 };
    for (const p of this.live.list()) points[p.quality]++;
    const devices = this.scanner.health();
    const o = this.outbox.stats();
    return {
      status: devices.some((d) => d.state === 'comm-fail') ? 'degraded' : 'ok',
      site: this.site.name,
      uptimeSeconds: Math.round((this.clock.now() - this.startedAt) / 1000),
      points,
      devices,
      outbox: {
        backlog: o.backlog,
        backlogBytes: o.backlogBytes,
        oldestUnsentAt: o.oldestUnsent?.at ?? null,
        capBytes: o.capBytes,
        usedBytes: o.usedBytes,
        ratePerSecond: Math.round(o.ratePerSecond),
        runwaySeconds: o.runwaySeconds === null ? null : Math.round(o.runwaySeconds),
      },
    };
  }
}
