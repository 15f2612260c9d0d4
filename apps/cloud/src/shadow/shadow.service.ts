/**
 * Desired and reported state per controller (issue 5 item 6) in PostgreSQL.
 *
 * Desired: each PUT replaces the body and bumps the version in one statement
 * (INSERT … ON CONFLICT DO UPDATE version + 1), so concurrent writers on
 * several replicas still get distinct, increasing versions. The long-poll is
 * stateless across replicas: a waiting request re-reads the row every
 * POLL_MS; a PUT on the same replica also wakes it at once.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { DataSource } from 'typeorm';
import type { DesiredState, ReportedState } from '#libs/sync';
import { CLOCK } from '../common/tokens.js';
import type { Clock } from '../common/tokens.js';
import { EnrolmentService } from '../enrolment/enrolment.service.js';
import type { DesiredBody } from './desired-body.js';

export const POLL_MS = 500;

export interface ControllerStateDto {
  controllerId: number;
  desired: DesiredState;
  reported: (ReportedState & { receivedAt: string }) | null;
  /** Per point: what is in force and who holds it (from the report), beside what the cloud wants there. */
  points: Record<
    string,
    {
      value: number | null;
      priority: number | null;
      source: string;
      desired: { value: number; leaseId: string } | null;
      /** True when the cloud's command is what is in force. */
      cloudInForce: boolean;
      note?: string;
    }
  >;
  /** The controller has applied the latest desired version. */
  inSync: boolean;
}

@Injectable()
export class ShadowService implements OnModuleDestroy {
  private readonly wake = new EventEmitter();
  private closed = false;

  constructor(
    private readonly db: DataSource,
    private readonly enrolment: EnrolmentService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.wake.setMaxListeners(0);
  }

  onModuleDestroy(): void {
    this.closed = true;
    this.wake.emit('close');
  }

  async setDesired(controllerId: number, body: DesiredBody): Promise<DesiredState> {
    await this.enrolment.controller(controllerId); // 404 for an unknown controller
    const rows: { version: string }[] = await this.db.query(
      `INSERT INTO desired_state (controller_id, version, body, updated_at) VALUES ($1, 1, $2, now())
       ON CONFLICT (controller_id) DO UPDATE SET version = desired_state.version + 1, body = EXCLUDED.body, updated_at = now()
       RETURNING version`,
      [controllerId, JSON.stringify(body)],
    );
    this.wake.emit(String(controllerId));
    return { version: Number(rows[0].version), ...body };
  }

  async desired(controllerId: number): Promise<DesiredState> {
    const rows: { version: string; body: DesiredBody }[] = await this.db.query(
      `SELECT version, body FROM desired_state WHERE controller_id = $1`,
      [controllerId],
    );
    if (!rows[0]) return { version: 0, commands: [] };
    return { version: Number(rows[0].version), ...rows[0].body };
  }

  /** The desired state once its version exceeds `after`, or null after `waitMs`. */
  async waitDesired(controllerId: number, after: number, waitMs: number): Promise<DesiredState | null> {
    const deadline = this.clock.now() + waitMs;
    for (;;) {
      const state = await this.desired(controllerId);
      if (state.version > after) return state;
      const left = deadline - this.clock.now();
      if (left <= 0 || this.closed) return null;
      await this.sleep(String(controllerId), Math.min(POLL_MS, left));
    }
  }

  async storeReported(controllerId: number, report: ReportedState): Promise<void> {
    await this.db.query(
      `INSERT INTO reported_state (controller_id, body, received_at) VALUES ($1, $2, now())
       ON CONFLICT (controller_id) DO UPDATE SET body = EXCLUDED.body, received_at = now()`,
      [controllerId, JSON.stringify(report)],
    );
  }

  async state(controllerId: number): Promise<ControllerStateDto> {
    await this.enrolment.controller(controllerId);
    const desired = await this.desired(controllerId);
    const rows: { body: ReportedState; received_at: Date }[] = await this.db.query(
      `SELECT body, received_at FROM reported_state WHERE controller_id = $1`,
      [controllerId],
    );
    const reported = rows[0] ? { ...rows[0].body, receivedAt: rows[0].received_at.toISOString() } : null;
    const wanted = new Map(desired.commands.map((c) => [c.point, c]));
    const notes = new Map((reported?.notes ?? []).map((n) => [n.point, n.reason]));
    const points: ControllerStateDto['points'] = {};
    const keys = new Set([...Object.keys(reported?.points ?? {}), ...wanted.keys()]);
    for (const point of [...keys].sort()) {
      const inForce = reported?.points[point] ?? { value: null, priority: null, source: 'unknown' };
      const cmd = wanted.get(point);
      points[point] = {
        ...inForce,
        desired: cmd ? { value: cmd.value, leaseId: cmd.leaseId } : null,
        cloudInForce: cmd !== undefined && inForce.source === 'cloud' && inForce.value === cmd.value,
        ...(notes.has(point) ? { note: notes.get(point) } : {}),
      };
    }
    return {
      controllerId,
      desired,
      reported,
      points,
      inSync: reported !== null && reported.appliedVersion >= desired.version,
    };
  }

  private sleep(channel: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake.off(channel, done);
        this.wake.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake.once(channel, done);
      this.wake.once('close', done);
    });
  }
}
