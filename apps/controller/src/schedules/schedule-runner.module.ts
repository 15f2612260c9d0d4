import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module.js';
import { ScheduleRunner } from './schedule-runner.js';

/** Runs the configuration's schedules through the command path (CONFIGURATION and LinkService are global). */
@Module({
  imports: [CommandsModule],
  providers: [ScheduleRunner],
  exports: [ScheduleRunner],
})
export class ScheduleRunnerModule {}
