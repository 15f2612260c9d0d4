/**
 * Desired state from the cloud, applied locally (issue 5 item 6, DESIGN.md
 * points 1–2), and the reported state that tells the cloud what is in force.
 *
 * - Each desired command holds slot 10 with the cloud's lease. While the same
 *   leaseId stays desired and the link is CONNECTED the lease is renewed;
 *   otherwise it runs out on its own (DESIGN.md point 1). A lease that ended
 *   during an outage is commanded again once the cloud still wants it.
 * - A command no longer desired has its slot 10 relinquished, including one
 *   left in the persisted array from before a restart.
 * - Schedules and calendars in the desired state become one new configuration
 *   snapshot version (an id mapped to null removes it).
 * - Reported: per writable point the effective value and who holds it, and a
 *   note for each desired command refused or outranked by a higher slot (a
 *   local operator override at 8 beats the cloud's 10, and the cloud sees it).
 */
import type { Logger } from 'pino';
import type { PriorityArrayDto } from '#libs/contracts';
import type { LinkState } from '#libs/link';
import { LeaseExpiredError, LeaseNotFoundError } from '#libs/priority';
import type { DesiredCommand, DesiredState, ReportedState } from '#libs/sync';
import type { CommandOptions } from '../commands/command.service.js';

export const CLOUD_PRIORITY = 10;

/** What the applier needs of CommandService. */
export interface CommandPort {
  command(pointId: string, opts: CommandOptions): Promise<PriorityArrayDto>;
  relinquish(pointId: string, priority: number, source: 'cloud'): Promise<PriorityArrayDto>;
  renewLease(
    pointId: string,
    lease: { leaseId: string; leaseMs: number; priority: number },
  ): Promise<PriorityArrayDto>;
  priorityArray(pointId: string): Promise<PriorityArrayDto>;
  heldBy(priority: number, source: 'cloud'): Promise<string[]>;
}

/** What the applier needs of ConfigurationService. */
export interface ConfigurationEditor {
  edit(
    author: string,
    message: string,
    fn: (draft: { schedules: Record<string, unknown>; calendars: Record<string, unknown> }) => void,
  ): Promise<unknown>;
}

type Note = NonNullable<ReportedState['notes']>[number];

export class DesiredStateApplier {
  private appliedVersion = 0;
  /** The commands this controller holds for the cloud, by point. */
  private readonly held = new Map<string, DesiredCommand>();
  /** Refusals of desired commands (the last error per point). */
  private readonly refused = new Map<string, Note>();
  private desired: DesiredCommand[] = [];
  private firstApply = true;

  constructor(
    private readonly commands: CommandPort,
    private readonly configuration: ConfigurationEditor,
    /** Every writable point key, in a stable order: what the report covers. */
    private readonly writablePoints: readonly string[],
    private readonly log: Logger,
  ) {}

  get version(): number {
    return this.appliedVersion;
  }

  /** The shortest desired lease, for the renewal rhythm; undefined with none. */
  get shortestLeaseMs(): number | undefined {
    return this.desired.length ? Math.min(...this.desired.map((c) => c.leaseMs)) : undefined;
  }

  async apply(state: DesiredState): Promise<void> {
    const wanted = new Map(state.commands.map((c) => [c.point, c]));
    const stale = new Set(this.held.keys());
    if (this.firstApply)
      for (const point of await this.commands.heldBy(CLOUD_PRIORITY, 'cloud')) stale.add(point);
    this.firstApply = false;
    for (const point of stale) {
      if (wanted.has(point)) continue;
      await this.attempt(point, undefined, async () => {
        await this.commands.relinquish(point, CLOUD_PRIORITY, 'cloud');
        this.held.delete(point);
      });
    }
    for (const point of [...this.refused.keys()]) if (!wanted.has(point)) this.refused.delete(point);
    for (const cmd of state.commands) {
      const prev = this.held.get(cmd.point);
      if (prev && prev.leaseId === cmd.leaseId && prev.value === cmd.value && prev.leaseMs === cmd.leaseMs)
        continue;
      await this.attempt(cmd.point, cmd.leaseId, () => this.give(cmd));
    }
    this.desired = state.commands;
    if (state.configuration && state.version > this.appliedVersion) await this.applyConfiguration(state);
    this.appliedVersion = state.version;
  }

  /** Renews every held lease; call only while the link is CONNECTED. */
  async renew(): Promise<void> {
    for (const cmd of this.desired) {
      await this.attempt(cmd.point, cmd.leaseId, async () => {
        if (!this.held.has(cmd.point)) return this.give(cmd);
        try {
          await this.commands.renewLease(cmd.point, {
            leaseId: cmd.leaseId,
            leaseMs: cmd.leaseMs,
            priority: CLOUD_PRIORITY,
          });
        } catch (err) {
          // The lease ran out (an outage longer than it): the cloud still wants it, so command again.
          if (!(err instanceof LeaseNotFoundError || err instanceof LeaseExpiredError)) throw err;
          this.log.info({ point: cmd.point, leaseId: cmd.leaseId }, `cloud lease ended; commanding again`);
          await this.give(cmd);
        }
      });
    }
  }

  async report(mode: LinkState): Promise<ReportedState> {
    const points: ReportedState['points'] = {};
    const notes: Note[] = [];
    const wanted = new Map(this.desired.map((c) => [c.point, c]));
    for (const point of this.writablePoints) {
      const array = await this.commands.priorityArray(point);
      points[point] = { ...array.effective };
      const cmd = wanted.get(point);
      const refusal = this.refused.get(point);
      if (refusal) notes.push(refusal);
      else if (cmd && array.effective.priority !== null && array.effective.priority < CLOUD_PRIORITY)
        notes.push({
          point,
          leaseId: cmd.leaseId,
          reason: `outranked by ${array.effective.source} at priority ${array.effective.priority} (value ${String(array.effective.value)}); the cloud's ${cmd.value} waits at priority ${CLOUD_PRIORITY}`,
        });
    }
    for (const [point, refusal] of this.refused) if (!(point in points)) notes.push(refusal);
    return { appliedVersion: this.appliedVersion, points, ...(notes.length ? { notes } : {}), mode };
  }

  private async give(cmd: DesiredCommand): Promise<void> {
    await this.commands.command(cmd.point, {
      value: cmd.value,
      priority: CLOUD_PRIORITY,
      source: 'cloud',
      leaseMs: cmd.leaseMs,
      leaseId: cmd.leaseId,
    });
    this.held.set(cmd.point, cmd);
  }

  private async attempt(point: string, leaseId: string | undefined, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
      this.refused.delete(point);
    } catch (err) {
      const reason = (err as Error).message;
      this.log.warn({ point, leaseId, reason }, `desired command not applied: ${reason}`);
      this.refused.set(point, { point, ...(leaseId ? { leaseId } : {}), reason });
    }
  }

  private async applyConfiguration(state: DesiredState): Promise<void> {
    const { schedules, calendars } = state.configuration ?? {};
    try {
      await this.configuration.edit('cloud', `desired state version ${state.version}`, (draft) => {
        merge(draft.schedules, schedules);
        merge(draft.calendars, calendars);
      });
    } catch (err) {
      const reason = `configuration of desired version ${state.version} refused: ${(err as Error).message}`;
      this.log.warn({ version: state.version }, reason);
      this.refused.set('(configuration)', { point: '(configuration)', reason });
      return;
    }
    this.refused.delete('(configuration)');
  }
}

function merge(target: Record<string, unknown>, changes: Record<string, unknown> | undefined): void {
  for (const [id, value] of Object.entries(changes ?? {})) {
    if (value === null) delete target[id];
    else target[id] = value;
  }
}
