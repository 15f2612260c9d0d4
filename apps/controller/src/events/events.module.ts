import { Global, Module } from '@nestjs/common';
import { EVENT_SINK, MemoryEventSink } from './event-sink.js';

/** Global: every module records events through EVENT_SINK. */
@Global()
@Module({
  providers: [{ provide: EVENT_SINK, useFactory: () => new MemoryEventSink() }],
  exports: [EVENT_SINK],
})
export class EventsModule {}
