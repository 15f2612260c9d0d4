/**
 * The audit entry of one state-changing request, offered to the store that
 * makes the change so both commit in one transaction (DESIGN.md points 6 and
 * 9): the command path (commands/command-store.ts) appends it beside the
 * point's array and its event. The interceptor writes the entry itself only
 * when nothing did — refusals, and endpoints whose change is not made through
 * such a store.
 *
 * Handed on explicitly (AuditContext.pending, then as an argument), never
 * through ambient context: a timer or another point's work started during the
 * request must not take the request's entry.
 */
import type { NewAuditEntry } from './audit-store.js';

export class PendingAudit {
  private state: 'open' | 'written' | 'closed' = 'open';

  /** `build(after)`: the entry as the interceptor would write it for a success answering `after`. */
  constructor(private readonly build: (after: unknown) => NewAuditEntry) {}

  /** The entry to append with the change; undefined once written, or once the request is over. */
  entry(after: unknown): NewAuditEntry | undefined {
    return this.state === 'open' ? this.build(after) : undefined;
  }

  /** The transaction holding the entry has committed: the interceptor must not write it again. */
  written(): void {
    if (this.state === 'open') this.state = 'written';
  }

  /** The request is over: says whether the entry is already committed; no store may write it after this. */
  close(): boolean {
    const wasWritten = this.state === 'written';
    this.state = 'closed';
    return wasWritten;
  }
}
