/**
 * What a device's scan needs, worked out once and reused while the polled
 * points and the plan stay the same: each point's plan item, PDU address,
 * encoding (in a libs/modbus BatchDecoder) and tidying, and per planned
 * request the points it carries with their word offsets into its data. A scan
 * then only sends the requests and decodes each answer in one loop: no
 * per-point encoding lookups, plan keys, maps, slices or calls through a
 * closure per point (bench:scan measures this path).
 *
 * Points are matched by reference: a poll passes the profile's own PointDef
 * objects, and profiles are not edited in place (a reload makes new objects),
 * so a changed point or profile makes a new scan plan.
 */
import type { PointReadOutcome } from '#libs/fieldbus';
import { BatchDecoder } from '#libs/modbus';
import type { PlanItem, PlannedRead } from '#libs/modbus';
import { pduAddress } from '#libs/profiles';
import type { PointDef, Profile } from '#libs/profiles';
import { tidier, toSevenDigits } from './engineering.js';
import type { Tidier } from './engineering.js';
import { toFieldbusError } from './modbus-errors.js';
import { encodingOf, planItem } from './modbus-points.js';

/** The points one planned request carries: parallel arrays of point index and offset into the data. */
export interface RequestLayout {
  readonly indices: Int32Array;
  readonly offsets: Int32Array;
}

export class ScanPlan {
  /** One plan item per point, in the points' order; the array stays the same object for the planner's cache. */
  readonly items: readonly PlanItem[];
  private readonly points: readonly PointDef[];
  /** Every point's id, in the points' order (read per point per scan). */
  readonly ids: readonly string[];
  private readonly addresses: Int32Array;
  private readonly batch: BatchDecoder;
  private readonly tidies: readonly Tidier[];
  /** 1 where a point's tidying is toSevenDigits (every float32), called directly so V8 inlines it. */
  private readonly sevens: Uint8Array;
  /** Scratch for one answer's values, and the codec's error for each that could not be decoded. */
  private readonly values: Float64Array;
  private readonly errors: unknown[];
  private readonly indexOfItem = new Map<PlanItem, number>();
  private layouts = new Map<PlannedRead, RequestLayout>();
  private layoutsFor: readonly PlannedRead[] | undefined;

  constructor(
    readonly profile: Profile,
    points: readonly PointDef[],
  ) {
    this.points = points.slice();
    this.ids = points.map((p) => p.id);
    this.items = points.map((p) => planItem(profile, p));
    this.addresses = Int32Array.from(points, (p) => pduAddress(profile, p));
    this.batch = new BatchDecoder(points.map((p) => encodingOf(profile, p)));
    this.tidies = points.map((p) => tidier(p));
    this.sevens = Uint8Array.from(this.tidies, (t) => (t === toSevenDigits ? 1 : 0));
    this.values = new Float64Array(points.length);
    this.errors = new Array<unknown>(points.length);
    this.items.forEach((item, i) => this.indexOfItem.set(item, i));
  }

  /** Whether this plan was made for exactly these points of this profile. */
  fits(profile: Profile, points: readonly PointDef[]): boolean {
    if (profile !== this.profile || points.length !== this.points.length) return false;
    for (let i = 0; i < points.length; i++) if (points[i] !== this.points[i]) return false;
    return true;
  }

  /** Decodes one answer into `outcomes` (indexed like the points): engineering values, tidied, or the codec's error. */
  decodeInto(
    outcomes: PointReadOutcome[],
    request: PlannedRead,
    data: readonly number[] | readonly boolean[],
    plan: readonly PlannedRead[],
  ): void {
    const { indices, offsets } = this.layout(request, plan);
    const { ids } = this;
    if (request.table === 1 || request.table === 2) {
      const bits = data as readonly boolean[];
      for (let j = 0; j < indices.length; j++) {
        const i = indices[j];
        outcomes[i] = { pointId: ids[i], value: bits[offsets[j]] ? 1 : 0 };
      }
      return;
    }
    const { values, errors, sevens, tidies } = this;
    this.batch.decode(data as readonly number[], indices, offsets, values, this.failed);
    for (let j = 0; j < indices.length; j++) {
      const i = indices[j];
      const error = errors[i];
      if (error === undefined) {
        outcomes[i] = {
          pointId: ids[i],
          value: sevens[i] === 1 ? toSevenDigits(values[i]) : tidies[i](values[i]),
        };
      } else {
        errors[i] = undefined;
        outcomes[i] = {
          pointId: ids[i],
          error: { code: 'bad-response', message: toFieldbusError(error).message },
        };
      }
    }
  }

  /** Made once: the batch decoder reports each value it cannot decode here. */
  private readonly failed = (index: number, error: unknown): void => {
    this.errors[index] = error ?? new Error('undecodable value');
  };

  /**
   * The layout of a request: cached for the requests of the current plan
   * (`plan` is the planner's array, the same object until the plan changes);
   * a request made while splitting a refused one is laid out on the fly.
   */
  layout(request: PlannedRead, plan: readonly PlannedRead[]): RequestLayout {
    if (plan !== this.layoutsFor) {
      this.layouts = new Map();
      this.layoutsFor = plan;
    }
    let layout = this.layouts.get(request);
    if (!layout) {
      layout = this.layOut(request);
      if (plan.includes(request)) this.layouts.set(request, layout);
    }
    return layout;
  }

  private layOut(request: PlannedRead): RequestLayout {
    const indices = Int32Array.from(request.items, (item) => this.indexOfItem.get(item)!);
    const offsets = indices.map((i) => this.addresses[i] - request.address);
    return { indices, offsets };
  }
}
