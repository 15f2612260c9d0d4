import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module.js';
import { CommandService } from '../commands/command.service.js';
import { systemTimers, TIMERS } from '../commands/timers.js';
import { FieldbusModule } from '../fieldbus/fieldbus.module.js';
import { ScannerService } from '../fieldbus/scanner.service.js';
import { LiveValues } from '../points/live-values.js';
import { PointsModule } from '../points/points.module.js';
import {
  DEFAULT_INTERLOCK_OPTIONS,
  INTERLOCK_OPTIONS,
  INTERLOCK_OUTPUTS,
  INTERLOCK_READINGS,
  INTERLOCK_SCANS,
} from './interlock-ports.js';
import type { InterlockReadings } from './interlock-ports.js';
import { INTERLOCK_STATE_STORE, SqliteInterlockStateStore } from './interlock-state.store.js';
import { InterlockService } from './interlock.service.js';

/**
 * Safety interlocks (issue 4 item 5): InterlockService bound to the command
 * path, the live values and the scanner's ticks. TIMERS is the same
 * systemTimers value CommandsModule uses (it does not export its binding).
 */
@Module({
  imports: [CommandsModule, FieldbusModule, PointsModule],
  providers: [
    InterlockService,
    { provide: INTERLOCK_OUTPUTS, useExisting: CommandService },
    {
      provide: INTERLOCK_READINGS,
      inject: [LiveValues],
      useFactory: (live: LiveValues): InterlockReadings => ({
        reading: (key) => {
          const point = live.get(key);
          if (point === undefined) return undefined;
          // A point the scanner never reached has neither a time nor a named error.
          const scanned = point.updatedAt !== null || point.error !== undefined;
          return { value: point.value, quality: point.quality, scanned };
        },
      }),
    },
    { provide: INTERLOCK_SCANS, inject: [ScannerService], useFactory: (s: ScannerService) => s.scans$ },
    { provide: INTERLOCK_STATE_STORE, useClass: SqliteInterlockStateStore },
    { provide: INTERLOCK_OPTIONS, useValue: DEFAULT_INTERLOCK_OPTIONS },
    { provide: TIMERS, useValue: systemTimers },
  ],
  exports: [InterlockService],
})
export class InterlocksModule {}
