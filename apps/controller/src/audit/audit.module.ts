import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { SqliteJournal } from '../events/sqlite-journal.js';
import { AuditController } from './audit.controller.js';
import { AuditInterceptor } from './audit.interceptor.js';
import { AuditStore } from './audit-store.js';

/**
 * The audit log: an interceptor on every route of the app (APP_INTERCEPTOR)
 * and its read API. It writes through the EventsModule's SqliteJournal, the
 * queue every append-only store shares.
 */
@Module({
  controllers: [AuditController],
  providers: [
    { provide: AuditStore, inject: [SqliteJournal], useFactory: (j: SqliteJournal) => new AuditStore(j) },
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
  ],
  exports: [AuditStore],
})
export class AuditModule {}
