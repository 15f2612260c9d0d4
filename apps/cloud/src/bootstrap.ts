/**
 * Builds and starts the cloud from a validated config. main.ts calls it for
 * production; tests call it in-process on free ports with a shifted clock.
 *
 * Nest's body parser is off: /api/v1/sync/* bodies are read raw by
 * SignedRequestGuard (the signature covers the exact bytes, gzip included);
 * every other route gets a JSON parser whose failures are problem details.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import express from 'express';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { CloudAppModule } from './app.module.js';
import { ProblemDetailsFilter } from './common/problem-details.filter.js';
import { systemClock } from './common/tokens.js';
import type { Clock, PublicOrigin } from './common/tokens.js';
import type { CloudConfig } from './config/cloud-config.js';

export const SYNC_PREFIX = '/api/v1/sync/';
const ADMIN_JSON_LIMIT = '1mb';

export interface RunningCloud {
  app: INestApplication;
  /** Where it listens, e.g. http://127.0.0.1:8090. */
  url: string;
  /** What controllers sign as @target-uri origin. */
  origin: string;
  close(): Promise<void>;
}

export async function startCloud(
  config: CloudConfig,
  opts: { logger?: Logger; clock?: Clock } = {},
): Promise<RunningCloud> {
  const logger = opts.logger ?? pino({ level: config.logLevel, base: { app: 'cloud' } });
  const clock = opts.clock ?? systemClock;
  const origin: PublicOrigin = { value: config.publicOrigin ?? '' };
  const app = await NestFactory.create(CloudAppModule.forRoot({ config, logger, clock, origin }), {
    logger: ['error', 'warn'],
    abortOnError: false,
    bodyParser: false,
  });
  app.use((_req: Request, res: Response, next: NextFunction) => {
    // Controllers correct their clocks from this header (issue 5 item 3), so it follows the injected clock.
    res.setHeader('Date', new Date(clock.now()).toUTCString());
    next();
  });
  const json = express.json({ limit: ADMIN_JSON_LIMIT });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.path.startsWith(SYNC_PREFIX)) return next();
    json(req, res, (err?: unknown) => {
      if (err === undefined || err === null) return next();
      const e = err as { status?: number; message?: string };
      const status = e.status ?? 400;
      res
        .status(status)
        .type('application/problem+json')
        .json({
          type: 'about:blank',
          title: status === 413 ? 'Payload Too Large' : 'Bad Request',
          status,
          detail: `the body is not acceptable JSON: ${e.message ?? 'parse error'}`,
          instance: req.originalUrl,
          reason: status === 413 ? 'body-too-large' : 'invalid-json',
        });
    });
  });
  app.useGlobalFilters(new ProblemDetailsFilter(logger));
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  if (origin.value === '') origin.value = url;
  return { app, url, origin: origin.value, close: () => app.close() };
}
