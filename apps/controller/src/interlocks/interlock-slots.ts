/**
 * Puts the slots the interlock engine holds onto the priority arrays, and
 * keeps them there. The engine says what should be held (activeCommands, with
 * fail-safe already resolved to a number); this class knows what the command
 * path has actually taken and closes the gap on every evaluation:
 * - a slot wanted and not applied (or applied with another value) is commanded;
 * - a slot applied and no longer wanted is relinquished;
 * - a refusal (outside the safe range, unknown or read-only point) is final for
 *   that value: logged and recorded once, not retried until the value changes;
 * - a write the device did not take is retried after `retryMs`, and recorded
 *   once per run of failures, so a dead device does not flood the event log.
 * Nothing here throws: an interlock that cannot act must not stop the others.
 * At start `adopt` reads back the interlock slots the command path kept
 * (SQLite), so a restart neither commands them twice nor forgets to free them.
 */
import type { Logger } from 'pino';
import { CommandRefusedError } from '#libs/priority';
import { UnknownPointError } from '../commands/command-errors.js';
import type { EventSink } from '../events/event-sink.js';
import type { InterlockOutputs } from './interlock-ports.js';

export interface WantedSlot {
  point: string;
  priority: 1 | 2;
  value: number;
  ruleId: string;
}

interface Applied {
  point: string;
  priority: number;
  value: number;
  ruleId: string;
}

const SOURCE = 'interlock';
const slotKey = (point: string, priority: number): string => `${point}\u0000${priority}`;
const isFinal = (err: unknown): boolean =>
  err instanceof CommandRefusedError || err instanceof UnknownPointError;
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class InterlockSlots {
  private readonly applied = new Map<string, Applied>();
  /** Slot → the value that was refused for it. */
  private readonly refused = new Map<string, number>();
  /** Slot → when to try again after a failed write. */
  private readonly retryAt = new Map<string, number>();

  constructor(
    private readonly outputs: InterlockOutputs,
    private readonly events: EventSink,
    private readonly log: Logger,
    private readonly retryMs: number,
  ) {}

  /** The interlock slots (1–2) the command path holds now; `owners` names the rule of a slot when known. */
  async adopt(points: readonly string[], owners: ReadonlyMap<string, string>): Promise<void> {
    for (const point of points) {
      try {
        const view = await this.outputs.priorityArray(point);
        for (const slot of view.slots)
          if (slot.source === SOURCE && slot.priority <= 2) {
            const key = slotKey(point, slot.priority);
            this.applied.set(key, {
              point,
              priority: slot.priority,
              value: slot.value,
              ruleId: owners.get(key) ?? 'unknown',
            });
          }
      } catch (err) {
        this.log.warn({ point }, `interlocks: priority array of ${point} unreadable: ${messageOf(err)}`);
      }
    }
  }

  /** Held slots as the command path has them (for tests and status). */
  held(): Applied[] {
    return [...this.applied.values()].map((a) => ({ ...a }));
  }

  /** Brings the arrays to `wanted`; resolves when every attempt of this round has settled. */
  async apply(wanted: readonly WantedSlot[], now: number): Promise<void> {
    const want = new Map(wanted.map((w) => [slotKey(w.point, w.priority), w]));
    const jobs: Promise<void>[] = [];
    for (const [key, w] of want) {
      const have = this.applied.get(key);
      if (have?.value === w.value) {
        have.ruleId = w.ruleId;
        continue;
      }
      if (this.refused.get(key) === w.value || (this.retryAt.get(key) ?? 0) > now) continue;
      jobs.push(this.command(key, w, now));
    }
    for (const [key, have] of this.applied)
      if (!want.has(key) && (this.retryAt.get(key) ?? 0) <= now) jobs.push(this.relinquish(key, have, now));
    for (const key of [...this.refused.keys()]) if (!want.has(key)) this.refused.delete(key);
    for (const key of [...this.retryAt.keys()])
      if (!want.has(key) && !this.applied.has(key)) this.retryAt.delete(key);
    await Promise.all(jobs);
  }

  private async command(key: string, w: WantedSlot, now: number): Promise<void> {
    const what = `${w.point} = ${w.value} at priority ${w.priority}`;
    try {
      await this.outputs.command(w.point, { value: w.value, priority: w.priority, source: SOURCE });
    } catch (err) {
      await this.failed(key, w, 'command', `cannot set ${what}`, err, now);
      return;
    }
    this.applied.set(key, { ...w });
    this.retryAt.delete(key);
    this.log.info(
      { rule: w.ruleId, point: w.point, priority: w.priority, value: w.value },
      `interlock ${w.ruleId}: ${what}`,
    );
    await this.record(w.ruleId, w.point, `interlock ${w.ruleId}: ${what}`, {
      action: 'command',
      priority: w.priority,
      value: w.value,
    });
  }

  private async relinquish(key: string, have: Applied, now: number): Promise<void> {
    const what = `relinquish ${have.point} priority ${have.priority}`;
    try {
      await this.outputs.relinquish(have.point, have.priority, SOURCE);
    } catch (err) {
      await this.failed(key, have, 'relinquish', `cannot ${what}`, err, now);
      if (isFinal(err)) this.applied.delete(key);
      return;
    }
    this.applied.delete(key);
    this.retryAt.delete(key);
    this.log.info(
      { rule: have.ruleId, point: have.point, priority: have.priority },
      `interlock ${have.ruleId}: ${what}`,
    );
    await this.record(have.ruleId, have.point, `interlock ${have.ruleId}: ${what}`, {
      action: 'relinquish',
      priority: have.priority,
    });
  }

  private async failed(
    key: string,
    slot: Applied,
    action: 'command' | 'relinquish',
    what: string,
    err: unknown,
    now: number,
  ): Promise<void> {
    const reason = messageOf(err);
    const data = {
      action,
      priority: slot.priority,
      ...(action === 'command' ? { value: slot.value } : {}),
      error: reason,
    };
    if (isFinal(err)) {
      if (action === 'command') this.refused.set(key, slot.value);
      this.log.error(
        { rule: slot.ruleId, point: slot.point, err: reason },
        `interlock ${slot.ruleId}: ${what}, refused: ${reason}`,
      );
      await this.record(slot.ruleId, slot.point, `interlock ${slot.ruleId}: ${what}, refused: ${reason}`, {
        ...data,
        outcome: 'refused',
      });
      return;
    }
    const firstFailure = !this.retryAt.has(key);
    this.retryAt.set(key, now + this.retryMs);
    this.log.warn(
      { rule: slot.ruleId, point: slot.point, err: reason },
      `interlock ${slot.ruleId}: ${what}: ${reason}; retrying in ${this.retryMs} ms`,
    );
    if (firstFailure)
      await this.record(slot.ruleId, slot.point, `interlock ${slot.ruleId}: ${what}: ${reason}; retrying`, {
        ...data,
        outcome: 'failed',
      });
  }

  private async record(
    ruleId: string,
    point: string,
    message: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.events.record({
        type: 'interlock',
        source: `interlock:${ruleId}`,
        subject: point,
        message,
        data: { ruleId, ...data },
      });
    } catch (err) {
      this.log.error({ rule: ruleId, err: messageOf(err) }, `interlock event not recorded: ${message}`);
    }
  }
}
