import { Module } from '@nestjs/common';
import { SyncAuthModule } from '../sync-auth/sync-auth.module.js';
import { IngestController } from './ingest.controller.js';
import { IngestService } from './ingest.service.js';

@Module({
  imports: [SyncAuthModule],
  controllers: [IngestController],
  providers: [IngestService],
})
export class IngestModule {}
