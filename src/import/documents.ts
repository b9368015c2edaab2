import { ConfigurationError } from '../config/errors.js';
import { type FieldPath, problemAt, type YamlDocument } from '../config/yaml-document.js';

/** A Kubernetes-style document of the imported file, with a way to point at its lines. */
export interface SourceDocument {
  document: YamlDocument;
  kind: string;
  apiVersion: string;
  name: string;
  namespace?: string;
  spec: Record<string, unknown>;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function failAt(document: YamlDocument, path: FieldPath, message: string): ConfigurationError {
  return new ConfigurationError([problemAt(document, path, message)]);
}

/** Every document of one of `kinds` under `group` (any version), checked for the fields we rely on. */
export function documentsOfKind(
  documents: YamlDocument[],
  group: string,
  kinds: readonly string[],
): SourceDocument[] {
  const found: SourceDocument[] = [];
  for (const document of documents) {
    const value = document.value;
    if (!isRecord(value) || typeof value.kind !== 'string' || !kinds.includes(value.kind)) continue;
    const apiVersion = typeof value.apiVersion === 'string' ? value.apiVersion : '';
    if (apiVersion.split('/')[0] !== group) {
      throw failAt(
        document,
        ['apiVersion'],
        `a ${value.kind} of ${group} was expected, found apiVersion ${JSON.stringify(value.apiVersion ?? null)}; set apiVersion to ${group}/<version>`,
      );
    }
    const metadata = isRecord(value.metadata) ? value.metadata : {};
    found.push({
      document,
      kind: value.kind,
      apiVersion,
      name: typeof metadata.name === 'string' ? metadata.name : '',
      namespace: typeof metadata.namespace === 'string' ? metadata.namespace : undefined,
      spec: isRecord(value.spec) ? value.spec : {},
    });
  }
  return found;
}

/**
 * The one document to import: the only one of its kind, or the `pick`-th
 * (1-based) when the file holds several, as Flagger's and Argo's docs often do.
 */
export function chooseDocument(
  candidates: SourceDocument[],
  file: string,
  what: string,
  pick: number | undefined,
): SourceDocument {
  if (candidates.length === 0) {
    throw new ConfigurationError([
      { file, message: `no ${what} document found in the file; pass the file that holds the ${what}` },
    ]);
  }
  if (pick !== undefined) {
    const chosen = candidates[pick - 1];
    if (!chosen) {
      throw new ConfigurationError([
        {
          file,
          message: `--document ${pick} asks for ${what} number ${pick}, but the file holds ${candidates.length}`,
        },
      ]);
    }
    return chosen;
  }
  if (candidates.length > 1) {
    const lines = candidates.map((c, i) => `${i + 1} (line ${c.document.positionOf([])?.line ?? '?'})`);
    throw new ConfigurationError([
      {
        file,
        message: `the file holds ${candidates.length} ${what} documents: ${lines.join(', ')}; choose one with --document N`,
      },
    ]);
  }
  return candidates[0] as SourceDocument;
}
