import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import * as glob from '@actions/glob';
import { burnRateDefinition } from '../analysis/burn-rate-check.js';
import { type ConfigProblem, ConfigurationError } from './errors.js';
import { gateSchema } from './gate.js';
import type { GateDefinition } from './gate-definition.js';
import {
  type AlertConditionFile,
  type AlertPolicyFile,
  alertConditionSchema,
  alertPolicySchema,
  contextObjectSchema,
  type DataSourceFile,
  dataSourceSchema,
  type SliFile,
  type SloFile,
  sliSchema,
  sloSchema,
} from './openslo.js';
import type { AlertObjects } from './openslo-checks.js';
import { sloToGate } from './openslo-checks.js';
import { schemaProblems } from './schema-problems.js';
import { parseYamlDocuments, problemAt, unreadableFile, type YamlDocument } from './yaml-document.js';

/** Expands file paths and globs (one per entry) into the files they name, in a stable order. */
export async function expandPatterns(patterns: string[], cwd: string = process.cwd()): Promise<string[]> {
  const files: string[] = [];
  for (const pattern of patterns) {
    const globber = await glob.create(pattern, { matchDirectories: false, implicitDescendants: false });
    const matches = (await globber.glob()).sort();
    if (matches.length === 0) {
      throw new ConfigurationError([
        {
          field: 'slos',
          message: `"${pattern}" matches no file (relative to ${cwd}): fix the path or the glob`,
        },
      ]);
    }
    for (const match of matches) {
      const shown = relative(cwd, match) || match;
      if (!files.includes(shown)) files.push(shown);
    }
  }
  return files;
}

export interface LoadGateOptions {
  /** Objects read as context or skipped (OpenSLO Service, AlertPolicy, ...): said, never fatal. */
  notice?: (notice: ConfigProblem) => void;
}

/** Reads Gate and OpenSLO files; every problem in every file is reported at once. */
export function loadGateFiles(files: string[], options: LoadGateOptions = {}): GateDefinition[] {
  const problems: ConfigProblem[] = [];
  const sources: Array<{ file: string; text: string }> = [];
  for (const file of files) {
    try {
      sources.push({ file, text: readFileSync(file, 'utf8') });
    } catch (e: unknown) {
      problems.push(unreadableFile(file, e));
    }
  }
  if (problems.length > 0) {
    // Still check the readable files, so one run lists every problem.
    try {
      if (sources.length > 0) loadGateTexts(sources, options);
    } catch (e: unknown) {
      if (e instanceof ConfigurationError) problems.push(...e.problems);
      else throw e;
    }
    throw new ConfigurationError(problems);
  }
  return loadGateTexts(sources, options);
}

/**
 * The objects of a document: the document itself, or each item when it is a
 * YAML list, the form the OpenSLO SDK and its CLI (oslo) read and write. An
 * item's positions are those of its place in the list.
 */
function objectsOf(document: YamlDocument): YamlDocument[] {
  if (!Array.isArray(document.value)) return [document];
  return document.value.map((value, i) => ({
    file: document.file,
    index: document.index,
    value,
    positionOf: (path) => document.positionOf([i, ...path]),
  }));
}

type Entry = GateDefinition | { document: YamlDocument; slo: SloFile };

export function loadGateTexts(
  sources: Array<{ file: string; text: string }>,
  options: LoadGateOptions = {},
): GateDefinition[] {
  const notice = options.notice ?? (() => {});
  const problems: ConfigProblem[] = [];
  // Kept in file order; SLOs are resolved once every SLI and DataSource they may reference is known.
  const pending: Entry[] = [];
  const indicators = new Map<string, SliFile>();
  const dataSources = new Map<string, DataSourceFile>();
  const alerts: AlertObjects = { policies: new Map(), conditions: new Map(), broken: new Map() };

  for (const { file, text } of sources) {
    let documents: YamlDocument[];
    try {
      documents = parseYamlDocuments(text, file).flatMap(objectsOf);
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
      const schema = schemas[kind];
      const parsed = schema.safeParse(document.value, { reportInput: true });
      if (!parsed.success) {
        const found = schemaProblems(parsed.error, document);
        if (kind === 'AlertPolicy' || kind === 'AlertCondition') {
          // Not fatal for the SLOs beside it: an error only for an SLO that names it.
          const name = (document.value as { metadata?: { name?: unknown } }).metadata?.name;
          alerts.broken.set(`${kind}/${String(name)}`, found);
          notice({
            ...(found[0] as ConfigProblem),
            message: `${kind} "${String(name)}" skipped: ${found[0]?.message}`,
          });
        } else {
          problems.push(...found);
        }
        continue;
      }
      const name = (parsed.data as { metadata: { name: string } }).metadata.name;
      if (kind === 'Gate') {
        pending.push(gateFromFile(parsed.data as ReturnType<typeof gateSchema.parse>, document));
      } else if (kind === 'SLO') {
        pending.push({ document, slo: parsed.data as SloFile });
      } else if (kind === 'SLI') {
        indicators.set(name, parsed.data as SliFile);
      } else if (kind === 'DataSource') {
        dataSources.set(name, parsed.data as DataSourceFile);
      } else if (kind === 'AlertPolicy') {
        alerts.policies.set(name, { policy: parsed.data as AlertPolicyFile, document });
      } else if (kind === 'AlertCondition') {
        alerts.conditions.set(name, { condition: parsed.data as AlertConditionFile, document });
      } else {
        notice(
          problemAt(
            document,
            ['kind'],
            kind === 'Service'
              ? `Service "${name}" read as context: a gate judges SLOs, whose spec.service names it`
              : `${kind} "${name}" skipped: a gate reports in its own summary and sends no notifications`,
          ),
        );
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
      definitions.push(sloToGate(entry.slo, entry.document, indicators, dataSources, alerts));
    } catch (e: unknown) {
      if (!(e instanceof ConfigurationError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  if (definitions.length === 0) {
    throw new ConfigurationError([
      {
        file: sources.length === 1 ? sources[0]?.file : undefined,
        message: `${sources.length === 1 ? 'holds' : 'the files hold'} no kind: Gate or kind: SLO document, so there is nothing to judge: add one`,
      },
    ]);
  }
  return definitions;
}

const schemas = {
  Gate: gateSchema,
  SLO: sloSchema,
  SLI: sliSchema,
  DataSource: dataSourceSchema,
  Service: contextObjectSchema,
  AlertPolicy: alertPolicySchema,
  AlertCondition: alertConditionSchema,
  AlertNotificationTarget: contextObjectSchema,
} as const;
type Kind = keyof typeof schemas;

function identify(document: YamlDocument): Kind | ConfigProblem {
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
  if (
    value.apiVersion === 'openslo/v1' &&
    typeof value.kind === 'string' &&
    value.kind in schemas &&
    value.kind !== 'Gate'
  )
    return value.kind as Kind;
  return {
    ...where,
    field: 'kind',
    message: `apiVersion ${JSON.stringify(value.apiVersion)} kind ${JSON.stringify(value.kind)} is not a gate: expected glidepath.dev/v1 Gate, or openslo/v1 SLO, SLI, DataSource, Service, AlertPolicy, AlertCondition or AlertNotificationTarget${value.apiVersion === 'openslo/v1alpha' ? ' (OpenSLO v1alpha is not supported: move to openslo/v1)' : ''}`,
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
