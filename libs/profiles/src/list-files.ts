import fs from 'node:fs';
import path from 'node:path';

/** Every *.yaml file under `root`, recursively, sorted, as paths joined onto `root`. */
export function listProfileFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.yaml')) found.push(full);
    }
  };
  walk(root);
  return found.sort();
}
