/**
 * Builds and starts the controller from a validated config and a loaded site.
 * main.ts calls it for production; tests call it in-process on free ports.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { LoadedSite } from '#libs/profiles';
import { AppModule } from './app.module.js';
import { systemClock } from './common/clock.js';
import type { Clock } from './common/clock.js';
import { ProblemDetailsFilter } from './common/problem-details.filter.js';
import type { ControllerConfig } from './config/controller-config.js';

export interface RunningController {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

export async function startController(
  config: ControllerConfig,
  site: LoadedSite,
  opts: { logger?: Logger; clock?: Clock } = {},
): Promise<RunningController> {
  const logger = opts.logger ?? pino({ level: config.logLevel, base: { app: 'controller' } });
  const app = await NestFactory.create(
    AppModule.forRoot({ config, site, logger, clock: opts.clock ?? systemClock }),
    { logger: ['error', 'warn'], abortOnError: false },
  );
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, close: () => app.close() };
}
