/**
 * Every error leaves the cloud API as RFC 9457 problem details
 * (`application/problem+json`), never as a stack trace; a Problem adds its
 * `reason` and extension members.
 */
import { Catch, HttpException, HttpStatus } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { ProblemDetails } from '#libs/contracts';
import { Problem } from './problem.js';

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly logger?: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    const req = http.getRequest<Request>();
    const status =
      exception instanceof HttpException ? exception.getStatus() : HttpStatus.INTERNAL_SERVER_ERROR;
    if (!(exception instanceof HttpException)) {
      this.logger?.error({ err: exception, url: req.originalUrl }, 'unhandled error');
    }
    const body: ProblemDetails = {
      type: 'about:blank',
      title: titleOf(status),
      status,
      detail: exception instanceof HttpException ? detailOf(exception) : 'internal error',
      instance: req.originalUrl,
      ...(exception instanceof Problem ? { reason: exception.reason, ...exception.extensions } : {}),
    };
    if (res.headersSent) return;
    res.status(status).type('application/problem+json').json(body);
  }
}

function detailOf(e: HttpException): string {
  const r = e.getResponse();
  if (typeof r === 'string') return r;
  const m = (r as { message?: unknown }).message;
  return Array.isArray(m) ? m.join('; ') : typeof m === 'string' ? m : e.message;
}

function titleOf(status: number): string {
  return (HttpStatus[status] ?? 'Error')
    .toLowerCase()
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');
}
