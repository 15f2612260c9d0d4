/**
 * The rows of `npm run bench:ingest`, generated once and shaped twice: as the
 * signed, gzipped IngestBatch bodies a controller sends, and as the COPY text
 * a bare PostgreSQL client would stream into the same table. Both are built
 * before any timing starts, so neither side is charged for making its input.
 */
import { gzipSync } from 'node:zlib';
import type { IngestBatch, OutboxRecord } from '#libs/sync';
import { sampleCopyText } from '../apps/cloud/src/ingest/sample-copy.js';

type Sample = Extract<OutboxRecord, { kind: 'sample' }>;

/** What a building controller polls: a few dozen devices of a few kinds, each with its points. */
const DEVICE_KINDS: Record<string, string[]> = {
  ahu: [
    'supply-air-temp',
    'return-air-temp',
    'mixed-air-temp',
    'supply-fan-speed',
    'damper-pos',
    'filter-dp',
  ],
  vav: ['zone-temp', 'zone-setpoint', 'airflow', 'damper-pos', 'reheat-valve'],
  fcu: ['room-temp', 'fan-status', 'valve-pos', 'occupancy'],
  meter: ['kw', 'kwh', 'voltage-l1', 'current-l1', 'power-factor'],
};

/** `points` point keys of one controller, `deviceId.pointId` as the controller names them. */
function pointCatalogue(controller: number, points: number): string[] {
  const keys: string[] = [];
  const kinds = Object.entries(DEVICE_KINDS);
  for (let device = 0; keys.length < points; device++) {
    const [kind, names] = kinds[device % kinds.length];
    for (const name of names) {
      if (keys.length === points) break;
      keys.push(`c${controller}-${kind}-${String(device).padStart(3, '0')}.${name}`);
    }
  }
  return keys;
}

export interface ControllerLoad {
  controller: number;
  /** The batches in order, each as the JSON body before gzip. */
  batches: IngestBatch[];
  /** The same batches gzip-encoded, as the sync client puts them on the wire. */
  bodies: Buffer[];
}

export const T0 = Date.UTC(2026, 10, 27, 8, 0, 0);

/**
 * `samples` samples of one controller: every scan tick (one second) reads all
 * its points, seq 1.. in order; values move slowly around a base, one sample
 * in a hundred is a comm-fail with no value.
 */
export function controllerLoad(
  controller: number,
  site: string,
  samples: number,
  points: number,
  batchSize: number,
): ControllerLoad {
  const keys = pointCatalogue(controller, points);
  const records: OutboxRecord[] = [];
  for (let i = 0; i < samples; i++) {
    const seq = i + 1;
    const point = i % points;
    const tick = Math.floor(i / points);
    const failed = (seq * 7919) % 100 === 0;
    records.push({
      seq,
      at: new Date(T0 + tick * 1000 + point).toISOString(),
      kind: 'sample',
      body: {
        point: keys[point],
        value: failed ? null : Math.round((20 + (point % 13) + Math.sin(tick / 60 + point) * 2) * 100) / 100,
        quality: failed ? 'comm-fail' : 'good',
      },
    });
  }
  const batches: IngestBatch[] = [];
  for (let from = 0; from < records.length; from += batchSize) {
    const part = records.slice(from, from + batchSize);
    batches.push({ site, fromSeq: part[0].seq, toSeq: part[part.length - 1].seq, records: part });
  }
  return { controller, batches, bodies: batches.map((b) => gzipSync(JSON.stringify(b))) };
}

/**
 * The same rows as the COPY text the cloud's ingest streams (its own
 * formatter, sample-copy.ts), built per batch; point ids come from the cloud's
 * catalogue, as the cloud's ingest resolves them.
 */
export function copyText(
  load: ControllerLoad,
  controllerId: number,
  siteId: number,
  pointIds: Map<string, number>,
): Buffer[] {
  return load.batches.flatMap((batch) => [
    ...sampleCopyText(
      controllerId,
      siteId,
      batch.records.filter((r): r is Sample => r.kind === 'sample'),
      pointIds,
    ),
  ]);
}
