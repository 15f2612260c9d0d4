import { Module } from '@nestjs/common';
import { EnrolmentModule } from '../enrolment/enrolment.module.js';
import { SyncAuthModule } from '../sync-auth/sync-auth.module.js';
import { ShadowAdminController, ShadowSyncController } from './shadow.controller.js';
import { ShadowService } from './shadow.service.js';

/** Desired and reported state (issue 5 item 6): signed sync routes and the admin API. */
@Module({
  imports: [SyncAuthModule, EnrolmentModule],
  controllers: [ShadowSyncController, ShadowAdminController],
  providers: [ShadowService],
  exports: [ShadowService],
})
export class ShadowModule {}
