import { Global, Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { EVENT_SINK } from './event-sink.js';
import { SqliteEventStore } from './event-store.js';
import { EventsController } from './events.controller.js';
import { SqliteJournal } from './sqlite-journal.js';

/**
 * Global: every module records events through EVENT_SINK, the SQLite event
 * log. SqliteJournal is shared so every append-only store writes through one
 * ordered queue.
 */
@Global()
@Module({
  controllers: [EventsController],
  providers: [
    {
      provide: SqliteJournal,
      inject: [getDataSourceToken()],
      useFactory: (db: DataSource) => new SqliteJournal(db),
    },
    SqliteEventStore,
    { provide: EVENT_SINK, useExisting: SqliteEventStore },
  ],
  exports: [EVENT_SINK, SqliteJournal, SqliteEventStore],
})
export class EventsModule {}
