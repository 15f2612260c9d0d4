/**
 * A deliberately naive second implementation of the priority rules, used only
 * by the property test: it keeps the whole log of operations and recomputes
 * everything from the start on every question (no incremental state, no shared
 * code with src/). Where it and src/ disagree, one of them misreads DESIGN.md
 * point 2–3 or issue 4.
 */

export type ModelOp =
  | {
      kind: 'command';
      source: string;
      priority: number;
      value: number;
      expiresAt?: number;
      leaseMs?: number;
      leaseId?: string;
    }
  | { kind: 'relinquish'; source: string; priority: number }
  | { kind: 'renew'; source: string; priority: number; leaseId: string; leaseMs: number }
  | { kind: 'advance'; to: number }
  | { kind: 'expire' }
  | { kind: 'autonomy'; autonomous: boolean };

export interface ModelConfig {
  pointId: string;
  start: number;
  maxLeaseMs: number;
  relinquishDefault: number;
  minOnSeconds: number;
  minOffSeconds: number;
  overrideMaxPriority: number;
}

export interface ModelEntry {
  id: number;
  priority: number;
  source: string;
  value: number;
  at: number;
  end?: number;
  leaseId?: string;
  fate?: 'replaced' | 'relinquished' | 'expired';
}

export interface ModelWinner {
  value: number;
  priority: number | null;
  source: string;
}

// Written out slot by slot on purpose (src/ keeps a source -> slots map).
const OWNER_BY_SLOT: (string | null)[] = [
  null, // index 0 unused: slots count from 1
  'interlock',
  'interlock',
  null,
  null,
  null,
  'minimum-on-off',
  null,
  'operator',
  null,
  'cloud',
  null,
  'fallback-schedule',
  null,
  'rule',
  null,
  'schedule',
];

interface Replay {
  now: number;
  autonomous: boolean;
  entries: ModelEntry[];
  outcomes: string[];
  expiredBy: ModelEntry[][];
  cloudCommands: number;
}

export class ReferenceModel {
  readonly log: ModelOp[] = [];

  constructor(readonly config: ModelConfig) {}

  /** Append `op`; its outcome: 'ok' or the name of the refusal it must meet. */
  apply(op: ModelOp): string {
    this.log.push(op);
    const replay = this.replay();
    return replay.outcomes[replay.outcomes.length - 1];
  }

  now(): number {
    return this.replay().now;
  }

  winner(): ModelWinner {
    const { entries, now, autonomous } = this.replay();
    const candidates = entries
      .filter((e) => e.fate === undefined)
      .filter((e) => e.end === undefined || e.end > now)
      .filter((e) => e.priority !== 12 || autonomous)
      .sort((a, b) => a.priority - b.priority);
    if (candidates.length === 0)
      return { value: this.config.relinquishDefault, priority: null, source: 'relinquish-default' };
    return { value: candidates[0].value, priority: candidates[0].priority, source: candidates[0].source };
  }

  /** Entries reported by the last op, if it was an expire. */
  lastExpired(): ModelEntry[] {
    const replay = this.replay();
    return this.log[this.log.length - 1]?.kind === 'expire'
      ? replay.expiredBy[replay.expiredBy.length - 1]
      : [];
  }

  nextExpiry(): number | null {
    const ends = this.replay()
      .entries.filter((e) => e.fate === undefined && e.end !== undefined)
      .map((e) => e.end!);
    return ends.length === 0 ? null : Math.min(...ends);
  }

  /** The lease id held at `priority` now (expired or not), or undefined. */
  leaseIdAt(priority: number): string | undefined {
    return this.replay().entries.find((e) => e.fate === undefined && e.priority === priority)?.leaseId;
  }

  entries(): ModelEntry[] {
    return this.replay().entries;
  }

  private replay(): Replay {
    const r: Replay = {
      now: this.config.start,
      autonomous: false,
      entries: [],
      outcomes: [],
      expiredBy: [],
      cloudCommands: 0,
    };
    for (const op of this.log) r.outcomes.push(this.step(r, op));
    return r;
  }

  private step(r: Replay, op: ModelOp): string {
    const holder = (priority: number) =>
      r.entries.find((e) => e.fate === undefined && e.priority === priority);
    const badSlot = (source: string, priority: number): string | null => {
      if (!Number.isInteger(priority) || priority < 1 || priority > 16) return 'InvalidPriorityError';
      if (OWNER_BY_SLOT[priority] !== source) return 'SlotNotOwnedError';
      return null;
    };
    const badLease = (leaseMs: number): string | null => {
      if (!(leaseMs > 0) || !Number.isFinite(leaseMs)) return 'InvalidCommandError';
      return leaseMs > this.config.maxLeaseMs ? 'LeaseTooLongError' : null;
    };
    switch (op.kind) {
      case 'advance':
        r.now = op.to;
        return 'ok';
      case 'autonomy':
        r.autonomous = op.autonomous;
        return 'ok';
      case 'expire': {
        const due = r.entries
          .filter((e) => e.fate === undefined && e.end !== undefined && e.end <= r.now)
          .sort((a, b) => a.priority - b.priority);
        for (const e of due) e.fate = 'expired';
        r.expiredBy.push(due);
        return 'ok';
      }
      case 'relinquish': {
        const refusal = badSlot(op.source, op.priority);
        if (refusal) return refusal;
        const held = holder(op.priority);
        if (held) held.fate = 'relinquished';
        return 'ok';
      }
      case 'renew': {
        const refusal = badSlot(op.source, op.priority) ?? badLease(op.leaseMs);
        if (refusal) return refusal;
        const held = holder(op.priority);
        if (!held || held.leaseId !== op.leaseId) return 'LeaseNotFoundError';
        if (held.end !== undefined && held.end <= r.now) return 'LeaseExpiredError';
        held.end = r.now + op.leaseMs;
        return 'ok';
      }
      case 'command': {
        const refusal = badSlot(op.source, op.priority);
        if (refusal) return refusal;
        let end: number | undefined;
        let leaseId: string | undefined;
        if (op.source === 'cloud') {
          if (op.expiresAt !== undefined) return 'InvalidCommandError';
          if (op.leaseMs === undefined) return 'LeaseRequiredError';
          const leaseRefusal = badLease(op.leaseMs);
          if (leaseRefusal) return leaseRefusal;
          r.cloudCommands++;
          end = r.now + op.leaseMs;
          leaseId = op.leaseId ?? `${this.config.pointId}/${op.priority}/${r.cloudCommands}`;
        } else {
          if (op.leaseMs !== undefined || op.leaseId !== undefined) return 'LeaseNotAllowedError';
          if (op.expiresAt !== undefined && op.expiresAt <= r.now) return 'InvalidCommandError';
          end = op.expiresAt;
        }
        const held = holder(op.priority);
        if (held) held.fate = 'replaced';
        const entry: ModelEntry = {
          id: r.entries.length,
          priority: op.priority,
          source: op.source,
          value: op.value,
          at: r.now,
        };
        if (end !== undefined) entry.end = end;
        if (leaseId !== undefined) entry.leaseId = leaseId;
        r.entries.push(entry);
        return 'ok';
      }
    }
  }
}

/**
 * What a binary output must be given the writes so far: a change waits until
 * the state it leaves has lasted its minimum, unless the winner's priority is
 * at or above the override level. Recomputed from the full write history.
 */
export function modelWrite(
  writes: readonly { value: number; at: number }[],
  desired: ModelWinner,
  now: number,
  config: ModelConfig,
): { value: number; heldUntil?: number } {
  const changes = writes.filter((w, i) => i === 0 || w.value !== writes[i - 1].value);
  const last = changes[changes.length - 1];
  if (last === undefined || last.value === desired.value) return { value: desired.value };
  const minimumMs = (last.value === 1 ? config.minOnSeconds : config.minOffSeconds) * 1000;
  if (now - last.at >= minimumMs) return { value: desired.value };
  if (desired.priority !== null && desired.priority <= config.overrideMaxPriority)
    return { value: desired.value };
  return { value: last.value, heldUntil: last.at + minimumMs };
}
