import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK } from '../common/tokens.js';
import type { Clock } from '../common/tokens.js';
import { EnrolmentModule } from '../enrolment/enrolment.module.js';
import { PgNonceCache } from './pg-nonce-cache.js';
import { SignedRequestGuard } from './signed-request.guard.js';

/** Import this module to put SignedRequestGuard on a controller's routes (and PgNonceCache, for @NonceInTransaction handlers). */
@Module({
  imports: [EnrolmentModule],
  providers: [
    SignedRequestGuard,
    {
      provide: PgNonceCache,
      useFactory: (db: DataSource, clock: Clock) => new PgNonceCache(db, clock),
      inject: [DataSource, CLOCK],
    },
  ],
  exports: [SignedRequestGuard, PgNonceCache, EnrolmentModule],
})
export class SyncAuthModule {}
