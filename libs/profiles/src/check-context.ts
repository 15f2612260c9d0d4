/** What the semantic checks (beyond the JSON Schema) work on. */
import type { Finding } from './schema-check.js';
import type { PointDef, Profile } from './types.js';
import type { DataPath, PathSegment } from './yaml-source.js';

/** A point that passed the schema, with its index in the file's `points` list. */
export interface PointEntry {
  point: PointDef;
  index: number;
}

export interface ProfileCheckContext {
  profile: Profile;
  /** Only the points the schema accepted: the checks may rely on their shape. */
  points: PointEntry[];
  lineAt: (path: DataPath) => number | undefined;
}

export type ProfileCheck = (context: ProfileCheckContext) => Finding[];

export function pointFinding(entry: PointEntry, field: readonly PathSegment[], message: string): Finding {
  return { path: ['points', entry.index, ...field], message };
}

/** `point "x" (line 12)`, for messages that name a second point. */
export function otherPoint(context: ProfileCheckContext, entry: PointEntry): string {
  const line = context.lineAt(['points', entry.index]);
  return line === undefined ? `point "${entry.point.id}"` : `point "${entry.point.id}" (line ${line})`;
}
