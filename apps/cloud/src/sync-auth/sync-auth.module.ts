import { Module } from '@nestjs/common';
import { EnrolmentModule } from '../enrolment/enrolment.module.js';
import { SignedRequestGuard } from './signed-request.guard.js';

/** Import this module to put SignedRequestGuard on a controller's routes. */
@Module({
  imports: [EnrolmentModule],
  providers: [SignedRequestGuard],
  exports: [SignedRequestGuard, EnrolmentModule],
})
export class SyncAuthModule {}
