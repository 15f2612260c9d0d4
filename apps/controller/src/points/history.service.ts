/**
 * The scan's telemetry path. Every read cycle's samples go to the durable
 * outbox (issue 5 item 4), which group-commits them: one transaction for all
 * the reads that finished in one turn of the event loop, not one per sample.
 * The old per-scan writes to `point_sample` are retired: that table is no
 * longer written (the migration keeps it, holding what older versions wrote),
 * so telemetry is stored once. There is no history endpoint; `recent` reads
 * the samples still in the outbox (not yet confirmed by the cloud), which is
 * what the controller holds locally. Long-term history is the cloud's.
 */
import { Injectable } from '@nestjs/common';
import type { PointQuality } from '#libs/contracts';
import { OutboxService } from '../outbox/outbox.service.js';

export interface SampleRow {
  pointId: string;
  ts: number;
  value: number | null;
  quality: PointQuality;
}

@Injectable()
export class HistoryService {
  constructor(private readonly outbox: OutboxService) {}

  /** Resolves once committed, or once refused because the outbox is full (counted and ledgered, never thrown). */
  record(rows: readonly SampleRow[]): Promise<void> {
    return this.outbox.appendSamples(
      rows.map((r) => ({ point: r.pointId, at: r.ts, value: r.value, quality: r.quality })),
    );
  }

  /** The newest unsent samples of a point, newest first. */
  recent(pointId: string, limit: number): Promise<SampleRow[]> {
    return Promise.resolve(
      this.outbox.recentSamples(pointId, limit).map((s) => ({
        pointId: s.point,
        ts: s.at,
        value: s.value,
        quality: s.quality,
      })),
    );
  }
}
