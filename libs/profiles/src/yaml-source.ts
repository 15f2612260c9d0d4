/**
 * YAML text -> plain data, keeping the node tree so any issue can point at the
 * line of the node it is about. Paths are JSON-pointer-like segment lists
 * (`['points', 3, 'modbus', 'address']`), the same shape ajv's instancePath
 * splits into and the semantic checks build.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node } from 'yaml';

export type PathSegment = string | number;
export type DataPath = readonly PathSegment[];

export interface YamlSyntaxProblem {
  line?: number;
  message: string;
}

export interface YamlSource {
  /** The document as plain JS (undefined when the text has syntax errors). */
  data: unknown;
  syntaxProblems: YamlSyntaxProblem[];
  /**
   * The line (1-based) of the deepest node on `path` that exists: for a map
   * entry the line of its key, for a sequence item the line it starts on. A
   * missing field therefore reports the line of its parent.
   */
  lineAt: (path: DataPath) => number | undefined;
}

export function parseYamlSource(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: true,
    uniqueKeys: true,
    // `<<: *template` lets a profile share the fields of similar points
    merge: true,
  });
  const lineOf = (offset: number | undefined): number | undefined =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;

  // One problem per line: the parser's follow-on errors on the same line only repeat the first.
  const syntaxProblems: YamlSyntaxProblem[] = [];
  for (const error of doc.errors) {
    const line = error.linePos?.[0].line ?? lineOf(error.pos[0]);
    if (syntaxProblems.some((problem) => problem.line === line)) continue;
    syntaxProblems.push({ line, message: `YAML syntax error: ${firstLine(error.message)}` });
  }
  let data: unknown;
  if (syntaxProblems.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // e.g. an alias bomb ("Excessive alias count") or an alias to an unknown anchor
      syntaxProblems.push({
        message: `YAML error: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }

  return {
    data,
    syntaxProblems,
    lineAt: (path) => {
      let node: Node | null | undefined = doc.contents;
      let line = lineOf(node?.range?.[0]);
      // Past an alias the nodes belong to the anchor's text, elsewhere in the file: keep the alias's line.
      let aliased = false;
      for (const segment of path) {
        if (isAlias(node)) {
          node = node.resolve(doc);
          aliased = true;
        }
        let next: Node | null | undefined;
        let nextLine: number | undefined;
        if (isMap(node)) {
          const pair = node.items.find((item) => keyText(item.key) === String(segment));
          if (pair === undefined) break;
          next = pair.value as Node | null;
          nextLine = lineOf((pair.key as Node | null)?.range?.[0]);
        } else if (isSeq(node) && typeof segment === 'number') {
          next = node.items[segment] as Node | null | undefined;
          nextLine = lineOf(next?.range?.[0]);
          if (next === undefined || next === null) break;
        } else {
          break;
        }
        if (!aliased) line = nextLine ?? line;
        node = next;
      }
      return line;
    },
  };
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  if (typeof key === 'string' || typeof key === 'number') return String(key);
  return undefined;
}

/** The yaml package appends "at line L, column C:" and a code frame; the line is reported separately. */
function firstLine(message: string): string {
  return message
    .split('\n')[0]
    .replace(/ at line \d+, column \d+:?$/, '')
    .trim();
}
