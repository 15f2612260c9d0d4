/**
 * Lets the cloud stop while controllers hold connections open. Controllers
 * keep a heartbeat and a 25 s long-poll on keep-alive connections, so the
 * HTTP server's close() alone never finishes: it waits for connections that
 * are never idle for long. Before the server closes, idle connections are
 * dropped at once and the rest after a short grace in which requests under
 * way may finish (an ingest commits and answers; a long-poll is cut, which a
 * controller treats as the cloud going away).
 */
import { Injectable } from '@nestjs/common';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';

export const SHUTDOWN_GRACE_MS = 1000;

@Injectable()
export class GracefulHttpShutdown implements BeforeApplicationShutdown {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  beforeApplicationShutdown(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
  }
}
