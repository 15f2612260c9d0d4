/**
 * What a handler tells the audit log about its request (DESIGN.md point 9):
 * the state before and after, and the target when the path does not name it.
 * The interceptor (audit.interceptor.ts) fills in who, when, the route and the
 * outcome; the handler fills what only it knows, as it goes, so the log
 * never re-reads state after the fact and a refused request still shows what
 * the handler had seen before it refused.
 *
 *   @Post(':id/commands')
 *   async command(@Param('id') id: string, @Audited() audit: AuditContext) {
 *     audit.before = ...; const after = await ...; audit.after = after; return after;
 *   }
 *
 * One context per request, kept on the request object: it exists even where
 * the interceptor is not installed (unit-built controllers), so handlers
 * never test for it.
 */
import { createParamDecorator } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import type { PendingAudit } from './pending-audit.js';

export class AuditContext {
  /** Overrides the target the interceptor derives from the path (`points/<id>`, `schedules/<id>`). */
  target?: string;
  before?: unknown;
  after?: unknown;
  /**
   * Set by the interceptor: the request's entry, for a store that writes it in
   * the transaction of the change it records (pass it on to the command path).
   * Absent where no interceptor runs.
   */
  pending?: PendingAudit;
}

const KEY = Symbol('bulwark.audit');

/** The request's context, created on first use. */
export function auditContextOf(req: object): AuditContext {
  const holder = req as { [KEY]?: AuditContext };
  holder[KEY] ??= new AuditContext();
  return holder[KEY];
}

/** Handler parameter: the request's AuditContext. */
export const Audited = createParamDecorator((_: unknown, ctx: ExecutionContext): AuditContext =>
  auditContextOf(ctx.switchToHttp().getRequest<object>()),
);

/**
 * Version ids around a configuration commit: the head it was made on and the
 * head after (the same id when the edit changed nothing).
 */
export function versionsAround(answer: {
  status: 'created' | 'unchanged';
  version: { id: string; parent: string | null };
}): { before: string | null; after: string } {
  return {
    before: answer.status === 'created' ? answer.version.parent : answer.version.id,
    after: answer.version.id,
  };
}
