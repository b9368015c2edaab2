import { Document, isSeq } from 'yaml';
import type { z } from 'zod';
import { clusterRequirementProblems, SOURCE_EXAMPLE } from '../config/cluster-requirements.js';
import { type ConfigProblem, ConfigurationError } from '../config/errors.js';
import { type RolloutConfig, rolloutSchema } from '../config/rollout.js';
import type { SourceConfig } from '../config/source.js';
import { renderQuery } from '../config/template.js';
import { formatPath } from '../config/yaml-document.js';

/** What the importer built, before schema defaults are applied: the form a user would write. */
export type RolloutConfigInput = z.input<typeof rolloutSchema>;

export type ImportedCheck = NonNullable<NonNullable<RolloutConfigInput['analysis']>['checks']>[number];

export interface ImportOptions {
  /** 1-based index of the document to import when the file holds several. */
  document?: number;
  /** The Prometheus the canary action will query (`--prometheus-url`), when the file names none or another. */
  prometheusUrl?: string;
}

export type Note = (field: string, message: string) => void;

/** Something of the source spec that glidepath does not carry over, or carries over differently. */
export interface ImportNote {
  /** Dotted path in the source document, e.g. `spec.analysis.threshold`. */
  field: string;
  message: string;
}

export interface ImportResult {
  config: RolloutConfigInput;
  notes: ImportNote[];
  /** `Flagger Canary podinfo (canary.yaml:3)`, for the header comment. */
  source: string;
  /** The source document's file and line, for errors about the result. */
  origin: Omit<ConfigProblem, 'message'>;
  /** What the user must add before the canary action accepts the config (its own validation, see cluster-requirements). */
  required?: ImportNote[];
}

/**
 * The last step of every importer: `--prometheus-url` fills (or replaces) the
 * source, each note is kept once, and whatever the canary action would still
 * refuse is listed as required, with the exact field to add.
 */
export function finishImport(result: ImportResult, options: ImportOptions): ImportResult {
  const notes: ImportNote[] = [];
  const seen = new Set<string>();
  for (const note of result.notes) {
    const key = `${note.field}\u0000${note.message}`;
    if (!seen.has(key)) notes.push(note);
    seen.add(key);
  }
  const config = result.config;
  if (options.prometheusUrl) {
    const analysis = config.analysis ?? {};
    const previous = analysis.source;
    if (previous && !(previous.provider === 'prometheus' && previous.address === options.prometheusUrl)) {
      notes.push({
        field: 'analysis.source',
        message: `${previous.provider === 'prometheus' ? previous.address : previous.provider} from the file replaced by --prometheus-url ${options.prometheusUrl}`,
      });
    }
    config.analysis = { ...analysis, source: { provider: 'prometheus', address: options.prometheusUrl } };
  }
  const required = clusterRequirementProblems({
    router: config.router as RolloutConfig['router'],
    analysis: config.analysis,
  }).map((problem) => ({
    field: problem.field ?? '',
    message:
      problem.field === 'analysis.source'
        ? `add it: the canary action refuses a config without a metrics source; e.g. source: ${SOURCE_EXAMPLE} under analysis, or import again with --prometheus-url URL`
        : problem.message,
  }));
  return { ...result, notes, required };
}

/**
 * Template values the rollout engine fills in at run time; an imported query is
 * rendered with stand-ins before it is printed, so a query that glidepath
 * would refuse never reaches the user's file.
 */
const RUNTIME_VALUES = {
  service: 'svc',
  namespace: 'ns',
  track: 'canary',
  window: '5m',
  since: '10m',
} as const;

/**
 * Validates an imported config with the same schema and query checks a rollout
 * uses, and throws a ConfigurationError pointing at the source document when
 * it would not load: an import never prints a config glidepath would refuse.
 */
export function validateImport(result: ImportResult): RolloutConfig {
  const where = result.origin;
  const parsed = rolloutSchema.safeParse(result.config);
  if (!parsed.success) {
    throw new ConfigurationError(
      parsed.error.issues.map((issue) => ({
        ...where,
        field: formatPath(issue.path as Array<string | number>) || undefined,
        message: `the imported config would be invalid: ${issue.message}; fix the source spec or edit the output by hand`,
      })),
    );
  }
  const values = { ...RUNTIME_VALUES, ...parsed.data.vars };
  (parsed.data.analysis?.checks ?? []).forEach((check, i) => {
    // Importers write value queries only; a hand-added burn-rate check has none.
    if (check.query !== undefined) {
      renderQuery(check.query, values, { ...where, field: `analysis.checks[${i}].query` });
    }
  });
  return parsed.data;
}

/** The config as YAML, led by comments that say where it came from and what was left behind. */
export function renderImport(result: ImportResult): string {
  validateImport(result);
  const header = [`# Imported from ${result.source} by \`glidepath import\`.`];
  if (result.notes.length === 0) {
    header.push('# Everything was carried over.');
  } else {
    header.push('# Not carried over, or carried over differently (review before use):');
    for (const note of result.notes) header.push(...bullet(note));
  }
  if (result.required && result.required.length > 0) {
    header.push('# REQUIRED before the canary action accepts this config:');
    for (const item of result.required) header.push(...bullet(item));
  }
  const yaml = new Document(result.config);
  const steps = yaml.get('steps', true);
  if (isSeq(steps)) steps.flow = true;
  return `${header.join('\n')}\n${yaml.toString({ lineWidth: 0 })}`;
}

function bullet(note: ImportNote): string[] {
  const lines = wrap(`${note.field}: ${note.message}`, 100);
  return [`# - ${lines[0]}`, ...lines.slice(1).map((line) => `#   ${line}`)];
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** A rollout reads one Prometheus: the first address found wins, and every other one is noted. */
export function addPrometheusSource(
  sources: SourceConfig[],
  address: string,
  field: string,
  note: Note,
): void {
  if (!/^https?:\/\/[^{}]+$/.test(address)) {
    note(field, `not carried over: ${address} is not a plain http(s) URL`);
    return;
  }
  const first = sources[0];
  if (!first) {
    sources.push({ provider: 'prometheus', address });
  } else if (first.provider === 'prometheus' && first.address !== address) {
    note(field, `${address} not carried over: a glidepath rollout reads one Prometheus (${first.address})`);
  }
}

/** A check name glidepath accepts (letters, digits, ".", "_", "-"), noting when the source's had to change. */
export function checkName(name: string, field: string, note: Note): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'check';
  if (safe !== name)
    note(
      field,
      `metric ${JSON.stringify(name)} renamed ${safe}: check names are letters, digits, ".", "_" and "-"`,
    );
  return safe;
}
