/**
 * The sync client's replay worker (issue 5 item 5: a backlog replays as fast
 * as the cloud takes it while the scan loop keeps its cadence). It reads each
 * batch from the outbox on a read-only connection of its own (WAL: readers
 * never wait for the writer nor hold it up), builds the batch's JSON and
 * gzips it, all off the controller's main thread. On the main thread that
 * work (some 5 ms a batch, up to 40 ms on a busy machine) ran between the
 * scans' timers and made them late; here it only competes for a core.
 *
 * It runs at a lower CPU priority than the rest of the controller (Linux: a
 * thread's own nice value): when the box is short of CPU, the kernel runs the
 * scan loop first and the replay with what is left. Where that cannot be set
 * the replay runs at normal priority, as it did on the main thread.
 *
 * It reads only inside the range the main thread reserved (and so fenced from
 * cap thinning) before asking: OutboxService.reserve.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import type { SqliteConnection } from '../events/sqlite-journal.js';
import { peekedJsonOf, peekRows } from '../outbox/outbox-read.js';
import type { ReservedRange } from '../outbox/outbox.port.js';
import { batchJsonOf } from './sync-outbox.js';
import type { PeekLimits } from './sync-outbox.js';

export interface ReplayWorkerData {
  /** The controller's SQLite file. */
  file: string;
  site: string;
  /** The nice value to run at (0 to leave the priority alone). */
  nice: number;
}

export type ReplayRequest = { id: number } & ReservedRange & PeekLimits;

/** A batch ready to send: its range and size (PeekedJson without the JSON) and the gzipped request body. */
export interface PreparedBatch {
  count: number;
  fromSeq: number;
  toSeq: number;
  bytes: number;
  body: Uint8Array;
}

export type ReplayReply =
  | { kind: 'ready'; nice: number | null; reason?: string }
  | { kind: 'batch'; id: number; batch?: PreparedBatch }
  | { kind: 'failed'; id: number; message: string };

/** Lowers this thread's priority (setpriority on a thread id affects that thread alone on Linux). */
function lowerPriority(nice: number): { nice: number | null; reason?: string } {
  if (nice === 0) return { nice: 0 };
  try {
    // "/proc/thread-self" links to "<pid>/task/<tid>".
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid)) throw new Error('no thread id in /proc/thread-self');
    setPriority(tid, nice);
    return { nice };
  } catch (err) {
    return { nice: null, reason: (err as Error).message };
  }
}

const data = workerData as ReplayWorkerData;
const port = parentPort!;
const db = new Database(data.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const conn = db as unknown as SqliteConnection;
port.postMessage({ kind: 'ready', ...lowerPriority(data.nice) } satisfies ReplayReply);

port.on('message', (req: ReplayRequest) => {
  let reply: ReplayReply;
  try {
    // One SELECT: one read transaction, so the rows are one committed state.
    const peeked = peekedJsonOf(peekRows(conn, req.afterSeq, req.maxRecords, req.maxBytes, req.throughSeq));
    reply = peeked
      ? {
          kind: 'batch',
          id: req.id,
          batch: {
            count: peeked.count,
            fromSeq: peeked.fromSeq,
            toSeq: peeked.toSeq,
            bytes: peeked.bytes,
            body: gzipSync(batchJsonOf(data.site, peeked)),
          },
        }
      : { kind: 'batch', id: req.id };
  } catch (err) {
    reply = { kind: 'failed', id: req.id, message: (err as Error).message };
  }
  port.postMessage(reply);
});
