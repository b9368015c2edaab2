import { isMap, isScalar, isSeq, LineCounter, type Node, type Pair, parseAllDocuments } from 'yaml';
import { type ConfigProblem, ConfigurationError } from './errors.js';

export type FieldPath = ReadonlyArray<string | number>;

export interface Position {
  line: number;
  column: number;
}

/** One YAML document of a file, with a way back from a field path to its line. */
export interface YamlDocument {
  file: string;
  /** 0-based index of the document in a multi-document file. */
  index: number;
  value: unknown;
  positionOf(path: FieldPath): Position | undefined;
}

/**
 * Parses every document of a YAML file, keeping positions so that a schema
 * error can point at the line of the offending field. Syntax errors become a
 * ConfigurationError with the parser's own line and message.
 */
export function parseYamlDocuments(text: string, file: string): YamlDocument[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    // Warnings (e.g. an unquoted {{ template }} used as a key) would go to stderr as a Node warning.
    logLevel: 'error',
  });
  const list = Array.isArray(documents) ? documents : [documents];
  const problems = list.flatMap((doc) =>
    doc.errors.map((error) => {
      const at = lineCounter.linePos(error.pos[0]);
      return { file, line: at.line, column: at.col, message: `invalid YAML: ${firstLine(error.message)}` };
    }),
  );
  if (problems.length > 0) throw new ConfigurationError(problems);

  return list
    .filter((doc) => doc.contents !== null)
    .map((doc, index) => ({
      file,
      index,
      value: doc.toJS({ maxAliasCount: 100 }) as unknown,
      positionOf(path: FieldPath): Position | undefined {
        // Walk as deep as the path exists so a missing field points at its parent.
        let node: Node | null | undefined = doc.contents as Node | null;
        let found = node;
        for (const key of path) {
          if (isMap(node)) {
            const pair: Pair | undefined = node.items.find(
              (item) => isScalar(item.key) && item.key.value === key,
            );
            node = (pair?.value as Node | null | undefined) ?? undefined;
            if (pair && isScalar(pair.key)) found = pair.key;
          } else if (isSeq(node) && typeof key === 'number') {
            node = node.items[key] as Node | undefined;
          } else {
            node = undefined;
          }
          if (!node) break;
          found = node;
        }
        const offset = found?.range?.[0];
        if (offset === undefined) return undefined;
        const at = lineCounter.linePos(offset);
        return { line: at.line, column: at.col };
      },
    }));
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

/** `checks[2].max` from `['checks', 2, 'max']`. */
export function formatPath(path: FieldPath): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${key}` : key),
    '',
  );
}

/** A problem at a field of a document, with its file, line and column. */
export function problemAt(document: YamlDocument, path: FieldPath, message: string): ConfigProblem {
  const position = document.positionOf(path);
  return {
    file: document.file,
    line: position?.line,
    column: position?.column,
    field: formatPath(path) || undefined,
    message,
  };
}

/** A file that could not be read, in words (no errno text): the path and the fix. */
export function unreadableFile(file: string, e: unknown): ConfigProblem {
  const code = (e as { code?: unknown } | null)?.code;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'a folder, not a file',
    ENOTDIR: 'a part of the path is not a folder',
  };
  const reason = (typeof code === 'string' && reasons[code]) || (e instanceof Error ? e.message : String(e));
  return { file, message: `cannot read the file (${reason}); check the path` };
}
