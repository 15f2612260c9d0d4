import { Module } from '@nestjs/common';
import { AdminTokenGuard } from './admin-token.guard.js';
import { EnrolmentController } from './enrolment.controller.js';
import { EnrolmentService } from './enrolment.service.js';

@Module({
  controllers: [EnrolmentController],
  providers: [EnrolmentService, AdminTokenGuard],
  exports: [EnrolmentService],
})
export class EnrolmentModule {}
