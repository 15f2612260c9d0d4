import { Module } from '@nestjs/common';
import { FieldbusModule } from '../fieldbus/fieldbus.module.js';
import { COMMAND_STORE, SqliteCommandStore } from './command-store.js';
import { CommandService } from './command.service.js';
import { CommandsController } from './commands.controller.js';
import { systemTimers, TIMERS } from './timers.js';

/** Priority arbitration and its API; WriteService comes from FieldbusModule. TIMERS is shared with the schedule runner. */
@Module({
  imports: [FieldbusModule],
  controllers: [CommandsController],
  providers: [
    CommandService,
    { provide: COMMAND_STORE, useClass: SqliteCommandStore },
    { provide: TIMERS, useValue: systemTimers },
  ],
  exports: [CommandService, TIMERS],
})
export class CommandsModule {}
