/**
 * Writes one audit entry for every state-changing request to the API
 * (POST, PUT, PATCH, DELETE under /api/v1), after the handler finished and
 * before the answer leaves: who, when, the route and the path, the target,
 * what the handler put in its AuditContext (before, after), and the outcome —
 * refusals included, with the status and the problem's title and detail.
 *
 * Who: no authentication exists yet (a later issue), so the actor is taken on
 * trust from the X-Bulwark-User header, else the body's `author` or `by`,
 * else 'anonymous'.
 *
 * Where the change is made through a store that takes the entry
 * (AuditContext.pending: the command path), the entry commits in the same
 * transaction as the change and this interceptor only checks that it did;
 * if that transaction fails, neither the change nor the entry is kept and the
 * failure is recorded as a refusal like any other.
 *
 * If the entry cannot be written after the handler succeeded, the answer is
 * a 500 saying so (the change stands; the log must not silently miss it). If
 * it cannot be written for a refused request, the refusal is answered as it
 * was and the failure logged.
 *
 * Not seen here: requests refused before routing (malformed JSON, unknown
 * routes, oversized bodies) never reach a handler and changed nothing.
 */
import { HttpException, HttpStatus, Inject, Injectable, InternalServerErrorException } from '@nestjs/common';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { catchError, mergeMap } from 'rxjs';
import type { Observable } from 'rxjs';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { LOGGER } from '../common/tokens.js';
import { auditContextOf } from './audit-context.js';
import type { AuditContext } from './audit-context.js';
import { AuditStore } from './audit-store.js';
import type { NewAuditEntry } from './audit-store.js';
import { PendingAudit } from './pending-audit.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const API_PREFIX = '/api/v1/';
export const USER_HEADER = 'x-bulwark-user';
export const ANONYMOUS = 'anonymous';
const MAX_ACTOR = 100;

@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly store: AuditStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<Request>();
    const res = ctx.switchToHttp().getResponse<Response>();
    if (!STATE_CHANGING.has(req.method) || !req.path.startsWith(API_PREFIX)) return next.handle();
    const audit = auditContextOf(req);
    // The status is set before the handler runs (@HttpCode), so a store can write the success entry mid-handler.
    const pending = new PendingAudit((after) => this.entry(req, audit, res.statusCode, undefined, after));
    audit.pending = pending;
    return next.handle().pipe(
      catchError(async (err: unknown) => {
        const status = err instanceof HttpException ? err.getStatus() : HttpStatus.INTERNAL_SERVER_ERROR;
        const detail = err instanceof HttpException ? detailOf(err) : 'internal error';
        if (pending.close()) {
          // The change and its entry committed; what failed after it changed nothing more.
          this.log.error(
            { err: errorText(err), path: req.path },
            'audit: a request failed after its change and audit entry were committed',
          );
          throw err;
        }
        try {
          await this.store.append(this.entry(req, audit, status, detail));
        } catch (failure) {
          this.log.error({ err: failure, path: req.path }, 'audit: could not record a refused request');
        }
        throw err;
      }),
      mergeMap(async (result: unknown) => {
        if (pending.close()) return result;
        try {
          await this.store.append(this.entry(req, audit, res.statusCode));
        } catch (failure) {
          this.log.error(
            { err: failure, path: req.path },
            'audit: could not record a request that succeeded',
          );
          throw new InternalServerErrorException(
            `the request was carried out, but its audit entry could not be written: ${String(failure)}`,
          );
        }
        return result;
      }),
    );
  }

  private entry(
    req: Request,
    audit: AuditContext,
    status: number,
    detail?: string,
    after: unknown = audit.after,
  ): NewAuditEntry {
    const route = routeOf(req);
    const entry: NewAuditEntry = {
      at: this.clock.now(),
      actor: actorOf(req),
      method: req.method,
      route,
      path: req.path,
      target: audit.target ?? targetOf(route, req.params),
      status,
      title: titleOf(status),
    };
    if (detail !== undefined) entry.detail = detail;
    if (audit.before !== undefined) entry.before = audit.before;
    if (after !== undefined) entry.after = after;
    return entry;
  }
}

/** The X-Bulwark-User header, else the body's `author` or `by`, else 'anonymous'. */
export function actorOf(req: Pick<Request, 'headers' | 'body'>): string {
  const body: unknown = req.body;
  const fromBody = (key: string): unknown =>
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)[key]
      : undefined;
  for (const candidate of [req.headers[USER_HEADER], fromBody('author'), fromBody('by')])
    if (typeof candidate === 'string' && candidate.trim() !== '') return candidate.trim().slice(0, MAX_ACTOR);
  return ANONYMOUS;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function routeOf(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : req.path;
}

/** `points/<id>` from `/api/v1/points/:id/commands`; the route's rest when it names no id or name. */
export function targetOf(route: string, params: Record<string, unknown>): string {
  const rest = route.startsWith(API_PREFIX) ? route.slice(API_PREFIX.length) : route;
  const resource = rest.split('/')[0];
  const id = params.id ?? params.name;
  return typeof id === 'string' && id !== '' ? `${resource}/${id}` : rest;
}

// The same mapping as ProblemDetailsFilter's, so the log shows what the client was answered.
function detailOf(e: HttpException): string {
  const r = e.getResponse();
  if (typeof r === 'string') return r;
  const m = (r as { message?: unknown }).message;
  return Array.isArray(m) ? m.join('; ') : typeof m === 'string' ? m : e.message;
}

export function titleOf(status: number): string {
  return (HttpStatus[status] ?? 'Error')
    .toLowerCase()
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');
}
