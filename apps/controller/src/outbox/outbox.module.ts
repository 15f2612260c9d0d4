import { Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.js';
import { CONFIG, LOGGER } from '../common/tokens.js';
import type { ControllerConfig } from '../config/controller-config.js';
import { SqliteJournal } from '../events/sqlite-journal.js';
import { OutboxController } from './outbox.controller.js';
import { OUTBOX } from './outbox.port.js';
import { DEFAULT_OUTBOX_CAP_BYTES, OutboxService } from './outbox.service.js';

/**
 * Global: the scan's telemetry (HistoryService), the health endpoint, the
 * cap alarm and the sync client (OUTBOX) all reach the one outbox. It writes
 * through the EventsModule's SqliteJournal, the queue every append-only store
 * shares, so its transactions never interleave with theirs.
 */
@Global()
@Module({
  controllers: [OutboxController],
  providers: [
    {
      provide: OutboxService,
      inject: [SqliteJournal, CLOCK, CONFIG, LOGGER],
      useFactory: (journal: SqliteJournal, clock: Clock, config: ControllerConfig, log: Logger) =>
        new OutboxService(
          journal,
          clock,
          { capBytes: config.outbox?.capBytes ?? DEFAULT_OUTBOX_CAP_BYTES },
          log.child({ module: 'outbox' }),
        ),
    },
    { provide: OUTBOX, useExisting: OutboxService },
  ],
  exports: [OutboxService, OUTBOX],
})
export class OutboxModule {}
