import type { Condition, Interlock } from '#libs/rules';

/** The point keys the rules' conditions read, each once, in rule order. */
export function watchedPoints(rules: readonly Interlock[]): string[] {
  const keys = new Set<string>();
  const walk = (c: Condition): void => {
    if ('all' in c) c.all.forEach(walk);
    else if ('any' in c) c.any.forEach(walk);
    else keys.add(c.point);
  };
  for (const rule of rules) walk(rule.when);
  return [...keys];
}
