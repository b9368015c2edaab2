import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import * as glob from '@actions/glob';
import { burnRateDefinition } from '../analysis/burn-rate-check.js';
import { type ConfigProblem, ConfigurationError } from './errors.js';
import { gateSchema } from './gate.js';
import type { GateDefinition } from './gate-definition.js';
import { type SliFile, type SloFile, sliSchema, sloSchema } from './openslo.js';
import { sloToGate } from './openslo-checks.js';
import { schemaProblems } from './schema-problems.js';
import { parseYamlDocuments, type YamlDocument } from './yaml-document.js';

/** Expands file paths and globs (one per entry) into the files they name, in a stable order. */
export async function expandPatterns(patterns: string[], cwd: string = process.cwd()): Promise<string[]> {
  const files: string[] = [];
  for (const pattern of patterns) {
    const globber = await glob.create(pattern, { matchDirectories: false, implicitDescendants: false });
    const matches = (await globber.glob()).sort();
    if (matches.length === 0) {
      throw new ConfigurationError([
        { field: 'slos', message: `"${pattern}" matches no file (relative to ${cwd})` },
      ]);
    }
    for (const match of matches) {
      const shown = relative(cwd, match) || match;
      if (!files.includes(shown)) files.push(shown);
    }
  }
  return files;
}

/** Reads Gate and OpenSLO files; every problem in every file is reported at once. */
export function loadGateFiles(files: string[]): GateDefinition[] {
  return loadGateTexts(files.map((file) => ({ file, text: readFileSync(file, 'utf8') })));
}

export function loadGateTexts(sources: Array<{ file: string; text: string }>): GateDefinition[] {
  const problems: ConfigProblem[] = [];
  // Kept in file order; SLOs are resolved once every SLI they may reference is known.
  const pending: Array<GateDefinition | { document: YamlDocument; slo: SloFile }> = [];
  const indicators = new Map<string, SliFile>();

  for (const { file, text } of sources) {
    let documents: YamlDocument[];
    try {
      documents = parseYamlDocuments(text, file);
    } catch (e: unknown) {
      if (e instanceof ConfigurationError) {
        problems.push(...e.problems);
        continue;
      }
      throw e;
    }
    if (documents.length === 0)
      problems.push({ file, message: 'is empty: expected a kind: Gate or an OpenSLO kind: SLO document' });
    for (const document of documents) {
      const kind = identify(document);
      if (typeof kind !== 'string') {
        problems.push(kind);
        continue;
      }
      const schema = kind === 'Gate' ? gateSchema : kind === 'SLO' ? sloSchema : sliSchema;
      const parsed = schema.safeParse(document.value, { reportInput: true });
      if (!parsed.success) {
        problems.push(...schemaProblems(parsed.error, document));
        continue;
      }
      if (kind === 'Gate') {
        pending.push(gateFromFile(parsed.data as ReturnType<typeof gateSchema.parse>, document));
      } else if (kind === 'SLO') {
        pending.push({ document, slo: parsed.data as SloFile });
      } else {
        const sli = parsed.data as SliFile;
        indicators.set(sli.metadata.name, sli);
      }
    }
  }

  const definitions: GateDefinition[] = [];
  for (const entry of pending) {
    if (!('slo' in entry)) {
      definitions.push(entry);
      continue;
    }
    try {
      definitions.push(sloToGate(entry.slo, entry.document, indicators));
    } catch (e: unknown) {
      if (!(e instanceof ConfigurationError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  if (definitions.length === 0) {
    throw new ConfigurationError([
      { field: 'slos', message: 'the files hold no kind: Gate or kind: SLO document' },
    ]);
  }
  return definitions;
}

function identify(document: YamlDocument): 'Gate' | 'SLO' | 'SLI' | ConfigProblem {
  const value = document.value as { apiVersion?: unknown; kind?: unknown } | null;
  const at = document.positionOf(['kind']);
  const where = { file: document.file, line: at?.line, column: at?.column };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      ...where,
      message: 'must be a map with apiVersion and kind (glidepath.dev/v1 Gate, or openslo/v1 SLO/SLI)',
    };
  }
  if (value.apiVersion === 'glidepath.dev/v1' && value.kind === 'Gate') return 'Gate';
  if (value.apiVersion === 'openslo/v1' && (value.kind === 'SLO' || value.kind === 'SLI')) return value.kind;
  return {
    ...where,
    field: 'kind',
    message: `apiVersion ${JSON.stringify(value.apiVersion)} kind ${JSON.stringify(value.kind)} is not a gate: expected glidepath.dev/v1 Gate, or openslo/v1 SLO or SLI${value.apiVersion === 'openslo/v1alpha' ? ' (OpenSLO v1alpha is not supported: move to openslo/v1)' : ''}`,
  };
}

function gateFromFile(file: ReturnType<typeof gateSchema.parse>, document: YamlDocument): GateDefinition {
  return {
    name: file.metadata.name,
    kind: 'Gate',
    file: document.file,
    source: file.spec.source,
    window: file.spec.window,
    vars: file.spec.vars ?? {},
    checks: file.spec.checks.map((check, i) => ({
      ...check,
      burnRate: check.burnRate ? burnRateDefinition(check.burnRate) : undefined,
      location: {
        file: document.file,
        line: document.positionOf(['spec', 'checks', i])?.line,
        field: `spec.checks[${i}]`,
      },
    })),
  };
}
