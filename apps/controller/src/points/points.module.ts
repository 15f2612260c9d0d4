import { Module } from '@nestjs/common';
import { HistoryService } from './history.service.js';
import { LiveValues } from './live-values.js';
import { PointsController } from './points.controller.js';

@Module({
  controllers: [PointsController],
  providers: [LiveValues, HistoryService],
  exports: [LiveValues, HistoryService],
})
export class PointsModule {}
