/**
 * Applies a change list (diff.ts) to a configuration: the executable meaning
 * of a diff, so `applyChanges(a, diff(a, b))` equals b, and a way to carry an
 * edit from one version onto another. Each change is checked against what is
 * there (`before` must match for changed and removed; an added path must be
 * free), and the first mismatch throws PatchConflictError: nothing is applied
 * to the input, which is never mutated.
 *
 * Indices in a change list refer to the array as it was before the list is
 * applied (diffs only add or remove an array's tail), so removed elements are
 * marked first and dropped together at the end.
 */
import { cloneJson, isPlainObject, jsonEquals } from './canonical.js';
import { formatPath, PatchConflictError } from './errors.js';
import type { Change, PathSegment } from './diff.js';
import type { Configuration } from './tree.js';
import { validateConfiguration } from './tree.js';

const REMOVED = Symbol('removed');

/** Sets an own data property: a key such as "__proto__" is data here, never the prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

function step(container: unknown, segment: PathSegment, path: readonly PathSegment[]): unknown {
  if (Array.isArray(container) && typeof segment === 'number' && segment < container.length) {
    const value: unknown = container[segment];
    if (value !== REMOVED) return value;
  } else if (isPlainObject(container) && typeof segment === 'string' && Object.hasOwn(container, segment)) {
    return container[segment];
  }
  throw new PatchConflictError(path, `${formatPath(path)} does not exist`);
}

function applyOne(root: Record<string, unknown>, change: Change, touched: Set<unknown[]>): void {
  const path = change.path as readonly PathSegment[];
  let container: unknown = root;
  for (let i = 0; i < path.length - 1; i++) container = step(container, path[i], path.slice(0, i + 1));
  const last = path[path.length - 1];
  if (change.kind === 'added') {
    if (Array.isArray(container) && typeof last === 'number') {
      if (last !== container.length)
        throw new PatchConflictError(path, `array has ${container.length} elements`);
      container.push(cloneJson(change.after));
    } else if (isPlainObject(container) && typeof last === 'string') {
      if (Object.hasOwn(container, last)) throw new PatchConflictError(path, 'already exists');
      setOwn(container, last, cloneJson(change.after));
    } else {
      throw new PatchConflictError(path, 'parent is not a container of that kind');
    }
    return;
  }
  const current = step(container, last, path);
  if (!jsonEquals(current, change.before))
    throw new PatchConflictError(path, 'value differs from the change\'s "before"');
  if (change.kind === 'changed') {
    if (Array.isArray(container)) container[last as number] = cloneJson(change.after);
    else setOwn(container as Record<string, unknown>, last as string, cloneJson(change.after));
  } else if (Array.isArray(container)) {
    container[last as number] = REMOVED;
    touched.add(container);
  } else {
    delete (container as Record<string, unknown>)[last as string];
  }
}

/** A new configuration: `config` with `changes` applied in order; validated before it is returned. */
export function applyChanges(config: Configuration, changes: readonly Change[]): Configuration {
  const result = cloneJson(config) as unknown as Record<string, unknown>;
  const touched = new Set<unknown[]>();
  for (const change of changes) applyOne(result, change, touched);
  for (const array of touched) {
    const kept = array.filter((value) => value !== REMOVED);
    array.length = 0;
    array.push(...kept);
  }
  validateConfiguration(result);
  return result;
}
