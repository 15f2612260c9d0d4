import { Module } from '@nestjs/common';
import { FieldbusModule } from '../fieldbus/fieldbus.module.js';
import { PointsModule } from '../points/points.module.js';
import { HealthController } from './health.controller.js';

@Module({ imports: [FieldbusModule, PointsModule], controllers: [HealthController] })
export class HealthModule {}
