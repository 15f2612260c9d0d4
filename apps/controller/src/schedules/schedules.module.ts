import { Module } from '@nestjs/common';
import { CalendarsController, SchedulesController } from './schedules.controller.js';

/** The schedules and calendars API; the configuration comes from the global ConfigurationModule. */
@Module({ controllers: [SchedulesController, CalendarsController] })
export class SchedulesModule {}
