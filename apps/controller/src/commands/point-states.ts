/**
 * The command path's points and their state: the site's points by key, the
 * state of every point that has one (loaded from the store once, or made by a
 * change; a read never makes one), and one queue per point, so each point's
 * operations run one after another.
 */
import type { Logger } from 'pino';
import { createPriorityArray, INITIAL_OUTPUT_STATE, NotWritableError } from '#libs/priority';
import type { LoadedSite } from '#libs/profiles';
import { ShuttingDownError, UnknownPointError } from './command-errors.js';
import type { CommandStore } from './command-store.js';
import { pointRefs } from './point-ref.js';
import type { PointRef, PointState } from './point-ref.js';

/** A point's state before anything commanded it: an empty array, an output the controller has not written. */
export function emptyState(ref: PointRef): PointState {
  return { ref, array: createPriorityArray(ref.key), output: INITIAL_OUTPUT_STATE };
}

export class PointStates {
  readonly refs: ReadonlyMap<string, PointRef>;
  private readonly states = new Map<string, PointState>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private loaded?: Promise<void>;
  /** Set on shutdown: what is queued after it is refused (ShuttingDownError). */
  closed = false;

  constructor(
    site: LoadedSite,
    private readonly store: CommandStore,
    private readonly log: Logger,
  ) {
    this.refs = pointRefs(site);
  }

  /** Loads the persisted arrays, once; rows of points the site no longer has are ignored. */
  ready(): Promise<void> {
    this.loaded ??= this.store.loadAll().then((rows) => {
      for (const row of rows) {
        const ref = this.refs.get(row.array.pointId);
        if (!ref || ref.point.access !== 'write') {
          this.log.warn(
            { point: row.array.pointId },
            `stored commands for unknown or read-only point ignored`,
          );
          continue;
        }
        this.states.set(ref.key, { ref, array: row.array, output: row.output });
      }
    });
    return this.loaded;
  }

  get(key: string): PointState | undefined {
    return this.states.get(key);
  }

  all(): PointState[] {
    return [...this.states.values()];
  }

  /** The point's state, made empty when it has none yet: only for a change. */
  stateOf(ref: PointRef): PointState {
    let st = this.states.get(ref.key);
    if (!st) {
      st = emptyState(ref);
      this.states.set(ref.key, st);
    }
    return st;
  }

  /** The point, if it can be commanded. */
  writable(pointId: string): PointRef {
    const ref = this.refs.get(pointId);
    if (!ref) throw new UnknownPointError(pointId);
    if (ref.point.access !== 'write') throw new NotWritableError(pointId);
    return ref;
  }

  /** The point, if it has a priority array to show (a read-only point has none: unknown here). */
  withArray(pointId: string): PointRef {
    const ref = this.refs.get(pointId);
    if (!ref || ref.point.access !== 'write') throw new UnknownPointError(pointId, ref !== undefined);
    return ref;
  }

  /** Runs `fn` after the point's queued operations. */
  serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(key) ?? Promise.resolve()).then(() => {
      if (this.closed) throw new ShuttingDownError(key);
      return fn();
    });
    this.chains.set(
      key,
      run.catch(() => undefined),
    );
    return run;
  }

  /** Settles when every operation queued now has, or after `ms`. */
  async drain(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.chains.values()]),
      new Promise((r) => (timer = setTimeout(r, ms))),
    ]);
    clearTimeout(timer);
  }
}
