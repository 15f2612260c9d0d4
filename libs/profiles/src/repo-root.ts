/**
 * Finding files that ship beside the code. The build (tsc) does not copy the
 * JSON Schemas into dist/, so the schema directory is found from the repository
 * root, which works from libs/profiles/src (tests) and dist/libs/profiles/src
 * (built output) alike.
 */
import fs from 'node:fs';
import path from 'node:path';

export class RepoRootNotFoundError extends Error {
  override readonly name = 'RepoRootNotFoundError';
  constructor(from: string) {
    super(`no package.json named "bulwark" in ${from} or any parent directory`);
  }
}

/** The nearest directory at or above `from` holding the package.json whose name is "bulwark". */
export function findRepoRoot(from: string = import.meta.dirname): string {
  let dir = path.resolve(from);
  for (;;) {
    if (isBulwarkPackage(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new RepoRootNotFoundError(from);
    dir = parent;
  }
}

export function schemaDirectory(): string {
  return path.join(findRepoRoot(), 'libs', 'profiles', 'schema');
}

function isBulwarkPackage(file: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown }).name === 'bulwark';
  } catch {
    return false;
  }
}
