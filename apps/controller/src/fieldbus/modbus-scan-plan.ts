/**
 * What a device's scan needs, worked out once and reused while the polled
 * points and the plan stay the same: each point's plan item, PDU address and
 * decoder (codec compiled for its encoding, then tidied), and per planned
 * request the points it carries with their word offsets into its data. A scan
 * then only sends the requests and runs the decoders: no per-point encoding
 * lookups, plan keys, maps or slices (bench:scan measures this path).
 *
 * Points are matched by reference: a poll passes the profile's own PointDef
 * objects, and profiles are not edited in place (a reload makes new objects),
 * so a changed point or profile makes a new scan plan.
 */
import type { PointReadOutcome } from '#libs/fieldbus';
import { compileDecoder } from '#libs/modbus';
import type { PlanItem, PlannedRead, RegisterDecoder } from '#libs/modbus';
import { pduAddress } from '#libs/profiles';
import type { PointDef, Profile } from '#libs/profiles';
import { tidier } from './engineering.js';
import type { Tidier } from './engineering.js';
import { toFieldbusError } from './modbus-errors.js';
import { encodingOf, isBitTable, planItem } from './modbus-points.js';

/** A point's value out of its request's data, `at` words (or bits) into it. */
export type PointDecoder = (data: readonly number[] | readonly boolean[], at: number) => number;

/** The points one planned request carries: parallel arrays of point index and offset into the data. */
export interface RequestLayout {
  readonly indices: Int32Array;
  readonly offsets: Int32Array;
}

const bitDecoder: PointDecoder = (data, at) => ((data as readonly boolean[])[at] ? 1 : 0);

/**
 * Decoders shared by every point with the same encoding and the same tidying
 * (tidier() hands out one function per policy, e.g. toSevenDigits for every
 * float32): a scan's decode call then meets a handful of functions instead of
 * one per point, which V8 can inline; with one per point it measured about
 * twice as slow (bench:scan, 5,702 points).
 */
const shared = new WeakMap<Tidier, Map<string, PointDecoder>>();

/** -0 and 0 are different scales (and offsets); String() would not tell them apart. */
const num = (x: number): string => (Object.is(x, -0) ? '-0' : String(x));

function pointDecoder(profile: Profile, p: PointDef): PointDecoder {
  if (isBitTable(p)) return bitDecoder;
  const enc = encodingOf(profile, p);
  const tidy = tidier(p);
  const key = `${enc.dataType} ${enc.byteOrder} ${enc.wordOrder} ${num(enc.scale)} ${num(enc.offset)} ${enc.bit ?? ''}`;
  let byEncoding = shared.get(tidy);
  if (!byEncoding) shared.set(tidy, (byEncoding = new Map<string, PointDecoder>()));
  let decoder = byEncoding.get(key);
  if (!decoder) {
    const decode: RegisterDecoder = compileDecoder(enc);
    decoder = (data, at) => tidy(decode(data as readonly number[], at));
    byEncoding.set(key, decoder);
  }
  return decoder;
}

export class ScanPlan {
  /** One plan item per point, in the points' order; the array stays the same object for the planner's cache. */
  readonly items: readonly PlanItem[];
  private readonly points: readonly PointDef[];
  /** Every point's id, in the points' order (read per point per scan). */
  readonly ids: readonly string[];
  private readonly addresses: Int32Array;
  readonly decoders: readonly PointDecoder[];
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
    this.decoders = points.map((p) => pointDecoder(profile, p));
    this.items.forEach((item, i) => this.indexOfItem.set(item, i));
  }

  /** Whether this plan was made for exactly these points of this profile. */
  fits(profile: Profile, points: readonly PointDef[]): boolean {
    if (profile !== this.profile || points.length !== this.points.length) return false;
    for (let i = 0; i < points.length; i++) if (points[i] !== this.points[i]) return false;
    return true;
  }

  /**
   * Decodes one read into `outcomes` (indexed like the points). A small
   * function of its own, so V8 can inline the few shared decoders and their
   * tidying into this loop instead of boxing a number per point on the way.
   */
  decodeInto(
    outcomes: PointReadOutcome[],
    request: PlannedRead,
    data: readonly number[] | readonly boolean[],
    plan: readonly PlannedRead[],
  ): void {
    const { indices, offsets } = this.layout(request, plan);
    const { ids, decoders } = this;
    for (let j = 0; j < indices.length; j++) {
      const i = indices[j];
      try {
        outcomes[i] = { pointId: ids[i], value: decoders[i](data, offsets[j]) };
      } catch (err) {
        outcomes[i] = {
          pointId: ids[i],
          error: { code: 'bad-response', message: toFieldbusError(err).message },
        };
      }
    }
  }

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
