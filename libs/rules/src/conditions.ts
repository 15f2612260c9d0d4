/**
 * One scan of a condition tree. State lives per node (keyed by its path inside
 * the rule, `when.all[1]`), so the engine can save and restore it:
 * - `latched`: the truth of a below/above/equals test. A test only looks at a
 *   value of quality `good`; while the reading is stale, in comm-fail, null or
 *   missing, the test keeps its last truth (a dead sensor neither trips nor
 *   clears freeze protection; `quality` rules handle dead sensors).
 * - `since`: when the node's own result last became true, for `forSeconds`
 *   (delay-on; clearing is immediate). Sampled per scan: the condition must be
 *   true at every scan from `since` until `since + forSeconds`.
 * Every child of all/any is evaluated every scan (no short-circuit), so timers
 * and hysteresis of every branch stay current.
 */
import type { Condition, PointCondition, PointReading, Snapshot } from './types.js';

export interface NodeState {
  latched?: boolean;
  since?: number;
}

/** Absent from the snapshot = unknown to the point engine: treated as comm-fail, which trips fail-safe rules. */
const MISSING: PointReading = { value: null, quality: 'comm-fail' };

function stateOf(states: Map<string, NodeState>, path: string): NodeState {
  let state = states.get(path);
  if (state === undefined) {
    state = {};
    states.set(path, state);
  }
  return state;
}

function testPoint(
  node: PointCondition,
  path: string,
  snapshot: Snapshot,
  states: Map<string, NodeState>,
): boolean {
  const reading = snapshot.points.get(node.point) ?? MISSING;
  if ('quality' in node)
    return (Array.isArray(node.quality) ? node.quality : [node.quality]).includes(reading.quality as never);
  const state = stateOf(states, path);
  const was = state.latched ?? false;
  const value = reading.value;
  if (reading.quality !== 'good' || typeof value !== 'number' || !Number.isFinite(value)) return was;
  let now: boolean;
  if ('below' in node) {
    // Hysteresis: set below `below`; once set, clear only above `clearAbove` (default: as soon as not below).
    now = was
      ? !(node.clearAbove === undefined ? value >= node.below : value > node.clearAbove)
      : value < node.below;
  } else if ('above' in node) {
    now = was
      ? !(node.clearBelow === undefined ? value <= node.above : value < node.clearBelow)
      : value > node.above;
  } else {
    now = value === node.equals;
  }
  state.latched = now;
  return now;
}

function instantaneous(
  node: Condition,
  path: string,
  snapshot: Snapshot,
  states: Map<string, NodeState>,
): boolean {
  if ('all' in node) {
    const results = node.all.map((child, i) =>
      evaluateCondition(child, `${path}.all[${i}]`, snapshot, states),
    );
    return results.every(Boolean);
  }
  if ('any' in node) {
    const results = node.any.map((child, i) =>
      evaluateCondition(child, `${path}.any[${i}]`, snapshot, states),
    );
    return results.some(Boolean);
  }
  return testPoint(node, path, snapshot, states);
}

/** The node's result at `snapshot.now`, updating `states`. */
export function evaluateCondition(
  node: Condition,
  path: string,
  snapshot: Snapshot,
  states: Map<string, NodeState>,
): boolean {
  const holds = instantaneous(node, path, snapshot, states);
  const delayMs = (node.forSeconds ?? 0) * 1000;
  if (delayMs <= 0) return holds;
  const state = stateOf(states, path);
  if (!holds) {
    delete state.since;
    return false;
  }
  // A clock that stepped back restarts the delay rather than trusting a start in the future.
  if (state.since === undefined || state.since > snapshot.now) state.since = snapshot.now;
  return snapshot.now - state.since >= delayMs;
}
