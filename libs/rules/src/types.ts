/**
 * Safety interlocks as data (issue 4 item 5, DESIGN.md points 1–2): the rule
 * language as it appears under `interlocks:` in a site file, and the engine's
 * input and output. schema/rules.schema.json must accept exactly what these
 * types describe.
 */

/** `deviceId.pointId`, e.g. `ahu-1.discharge-air-temp`: a point of one device of the site. */
export type PointKey = string;

export type Quality = 'good' | 'stale' | 'comm-fail';
/** The qualities a `quality` test may look for. */
export type BadQuality = Exclude<Quality, 'good'>;

/** Interlocks own slots 1 and 2 of the priority array (DESIGN.md point 2; libs/priority SOURCE_SLOTS). */
export type InterlockPriority = 1 | 2;

/** Shared by every condition node: delay-on (the node must hold this long, continuously, before it counts). */
export interface DelayOn {
  forSeconds?: number;
}

/** `below` (strictly less than) with optional hysteresis: once true, stays true until the value exceeds `clearAbove`. */
export interface BelowTest extends DelayOn {
  point: PointKey;
  below: number;
  clearAbove?: number;
}

/** `above` (strictly greater than) with optional hysteresis: once true, stays true until the value drops under `clearBelow`. */
export interface AboveTest extends DelayOn {
  point: PointKey;
  above: number;
  clearBelow?: number;
}

/** Exact match, for binary (0/1) and multistate (a declared state) points. */
export interface EqualsTest extends DelayOn {
  point: PointKey;
  equals: number;
}

/** True while the point's quality is the one named (or one of those listed). */
export interface QualityTest extends DelayOn {
  point: PointKey;
  quality: BadQuality | BadQuality[];
}

export type PointCondition = BelowTest | AboveTest | EqualsTest | QualityTest;

export interface AllCondition extends DelayOn {
  all: Condition[];
}

export interface AnyCondition extends DelayOn {
  any: Condition[];
}

export type Condition = PointCondition | AllCondition | AnyCondition;

export interface ValueAction {
  point: PointKey;
  value: number;
  priority: InterlockPriority;
}

/** Command the point's profile `failSafe` value; the controller resolves it from the profile. */
export interface FailSafeAction {
  point: PointKey;
  failSafe: true;
  priority: InterlockPriority;
}

export type Action = ValueAction | FailSafeAction;

export interface Interlock {
  /** Unique within the site; kebab-case. */
  id: string;
  description?: string;
  when: Condition;
  then: Action[];
}

export interface PointReading {
  value: number | null;
  quality: Quality;
}

/** One scan as the engine sees it. `now` is epoch ms (wall clock, so timers survive a restart through toJSON). */
export interface Snapshot {
  now: number;
  points: ReadonlyMap<PointKey, PointReading>;
}

export interface InterlockCommand {
  point: PointKey;
  priority: InterlockPriority;
  value: number | 'fail-safe';
  ruleId: string;
}

export interface InterlockRelinquish {
  point: PointKey;
  priority: InterlockPriority;
  ruleId: string;
}

export interface InterlockEvent {
  ruleId: string;
  kind: 'activated' | 'cleared';
  at: number;
}

export interface Evaluation {
  commands: InterlockCommand[];
  relinquishes: InterlockRelinquish[];
  events: InterlockEvent[];
}
