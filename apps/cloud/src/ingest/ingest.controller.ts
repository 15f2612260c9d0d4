/**
 * POST /api/v1/sync/batches (issue 5 item 7): a signed IngestBatch, JSON,
 * optionally gzip-encoded; answered with the IngestAck after COMMIT.
 * Order of refusals: body size 413 → signature 401 → encoding/JSON 400/413 →
 * shape and contiguity 400 → site 403 → replayed nonce 401 (recorded in the
 * batch's transaction: ingest.service.ts) → sequence gap 409.
 */
import { Controller, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import type { IngestAck } from '#libs/sync';
import { CLOUD_CONFIG } from '../common/tokens.js';
import type { CloudConfig } from '../config/cloud-config.js';
import {
  deferredNonce,
  NonceInTransaction,
  SignedRequestGuard,
  signedBy,
  signedJson,
} from '../sync-auth/signed-request.guard.js';
import { parseBatch } from './batch-schema.js';
import { IngestService } from './ingest.service.js';

@Controller('api/v1/sync')
@UseGuards(SignedRequestGuard)
export class IngestController {
  constructor(
    private readonly ingest: IngestService,
    @Inject(CLOUD_CONFIG) private readonly config: CloudConfig,
  ) {}

  @Post('batches')
  @HttpCode(200)
  @NonceInTransaction()
  async batches(@Req() req: Request): Promise<IngestAck> {
    const batch = parseBatch(await signedJson(req, this.config.maxBodyBytes));
    return this.ingest.ingest(signedBy(req).owner, batch, deferredNonce(req));
  }
}
