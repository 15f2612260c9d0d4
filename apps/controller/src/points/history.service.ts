/**
 * Local history: every scan of a device is written as one transaction (a group
 * commit per scan, not per sample), so the SQLite file is touched once per
 * device per poll.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { PointQuality } from '#libs/contracts';
import { PointSample } from './point-sample.entity.js';

export interface SampleRow {
  pointId: string;
  ts: number;
  value: number | null;
  quality: PointQuality;
}

@Injectable()
export class HistoryService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async record(rows: readonly SampleRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction(async (m) => {
      // SQLite's default limit of 32766 host parameters: 4 per row.
      for (let i = 0; i < rows.length; i += 500) {
        await m
          .createQueryBuilder()
          .insert()
          .into(PointSample)
          .values(rows.slice(i, i + 500))
          .execute();
      }
    });
  }

  async recent(pointId: string, limit: number): Promise<SampleRow[]> {
    const rows = await this.db
      .getRepository(PointSample)
      .find({ where: { pointId }, order: { ts: 'DESC' }, take: limit });
    return rows.map((r) => ({
      pointId: r.pointId,
      ts: r.ts,
      value: r.value,
      quality: r.quality as PointQuality,
    }));
  }
}
