/**
 * GET /api/v1/sync: the sync client's state for people and tests: the cloud,
 * the key id to enrol, link outcomes, the upload (batches, the cloud's
 * high-water mark, the last error), the outbox backlog and runway, the clock
 * offset learned from the cloud, and the scan jitter (p99) during replay.
 */
import { Controller, Get } from '@nestjs/common';
import { SyncService } from './sync.service.js';
import type { SyncStatus } from './sync.service.js';

@Controller('api/v1/sync')
export class SyncController {
  constructor(private readonly sync: SyncService) {}

  @Get()
  status(): SyncStatus {
    return this.sync.status();
  }
}
