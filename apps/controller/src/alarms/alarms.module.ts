import { Module } from '@nestjs/common';
import { FieldbusModule } from '../fieldbus/fieldbus.module.js';
import { PointsModule } from '../points/points.module.js';
import { AlarmService } from './alarm.service.js';
import { AlarmsController } from './alarms.controller.js';
import { CommFailAlarms } from './comm-fail-alarms.js';
import { ALARM_TIMERS, defaultAlarmTimers } from './detector-support.js';
import { LimitAlarms } from './limit-alarms.js';
import { OutboxCapAlarms } from './outbox-cap-alarms.js';
import { ScheduleAlarms } from './schedule-alarms.js';
import { WriteFailureAlarms } from './write-failure-alarms.js';

/**
 * Alarms and their API. The detectors: devices in comm-fail (the scanner),
 * limits on analog points (live values), failed writes (WriteService),
 * schedules that end or never change (the live configuration, when provided)
 * and the outbox near its cap (the global OutboxModule).
 * Events come from the global EventsModule.
 */
@Module({
  imports: [FieldbusModule, PointsModule],
  controllers: [AlarmsController],
  providers: [
    AlarmService,
    CommFailAlarms,
    LimitAlarms,
    WriteFailureAlarms,
    ScheduleAlarms,
    OutboxCapAlarms,
    { provide: ALARM_TIMERS, useValue: defaultAlarmTimers },
  ],
  exports: [AlarmService],
})
export class AlarmsModule {}
