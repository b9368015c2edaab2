import type { SourceConfig } from '../config/source.js';
import { type Bounds, parseConditions } from './argo-conditions.js';
import { isRecord, type SourceDocument } from './documents.js';
import { addPrometheusSource, type ImportedCheck as Check, checkName, type Note } from './result.js';

export interface AnalysisRef {
  field: string;
  templates: unknown;
  args: unknown;
}

function argValues(args: unknown, field: string, note: Note): Map<string, string | undefined> {
  const values = new Map<string, string | undefined>();
  for (const arg of Array.isArray(args) ? args : []) {
    if (!isRecord(arg) || typeof arg.name !== 'string') continue;
    if (typeof arg.value === 'string') values.set(arg.name, arg.value);
    else {
      values.set(arg.name, undefined);
      if (arg.valueFrom !== undefined)
        note(`${field}.args.${arg.name}`, 'valueFrom not carried over: glidepath vars are plain values');
    }
  }
  return values;
}

/** The checks of the templates one analysis (step or background) references, with their args as vars. */
export function checksOf(
  ref: AnalysisRef,
  templates: SourceDocument[],
  namespace: string | undefined,
  vars: Record<string, string>,
  sources: SourceConfig[],
  note: Note,
): Check[] {
  const passed = argValues(ref.args, ref.field, note);
  const checks: Check[] = [];
  for (const entry of Array.isArray(ref.templates) ? ref.templates : []) {
    if (!isRecord(entry) || typeof entry.templateName !== 'string') continue;
    const kind = entry.clusterScope === true ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate';
    const template = templates.find(
      (t) =>
        t.kind === kind &&
        t.name === entry.templateName &&
        (kind === 'ClusterAnalysisTemplate' ||
          t.namespace === undefined ||
          namespace === undefined ||
          t.namespace === namespace),
    );
    if (!template) {
      note(
        ref.field,
        `${kind} ${entry.templateName} not carried over: it is not in this file; import a file that holds the Rollout and its templates`,
      );
      continue;
    }
    const defaults = argValues(template.spec.args, `${kind} ${template.name}.spec`, note);
    const args = new Map([...defaults, ...[...passed].filter(([, v]) => v !== undefined)]);
    const metrics = Array.isArray(template.spec.metrics) ? template.spec.metrics : [];
    metrics.forEach((metric, i) => {
      const field = `${kind} ${template.name}.spec.metrics[${i}]`;
      if (!isRecord(metric) || typeof metric.name !== 'string') return;
      const check = checkOf(metric, field, args, vars, sources, note);
      if (check) checks.push(check);
    });
  }
  return checks;
}

function checkOf(
  metric: Record<string, unknown>,
  field: string,
  args: Map<string, string | undefined>,
  vars: Record<string, string>,
  sources: SourceConfig[],
  note: Note,
): Check | undefined {
  const name = metric.name as string;
  const provider = isRecord(metric.provider) ? metric.provider : {};
  const prometheus = isRecord(provider.prometheus) ? provider.prometheus : undefined;
  if (!prometheus || typeof prometheus.query !== 'string') {
    const kind = Object.keys(provider)[0] ?? 'no';
    note(
      field,
      `metric ${name} not carried over: it uses the ${kind} provider, and glidepath checks are PromQL queries`,
    );
    return undefined;
  }
  let bounds: Bounds;
  try {
    bounds = parseConditions(metric.successCondition, metric.failureCondition);
  } catch (e: unknown) {
    note(field, `metric ${name} not carried over: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  const argument = /\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}/g;
  if (/\{\{/.test(prometheus.query.replace(argument, ''))) {
    note(
      field,
      `metric ${name} not carried over: its query uses a template expression other than {{args.NAME}}`,
    );
    return undefined;
  }
  const missing: string[] = [];
  const query = prometheus.query.trim().replace(argument, (_whole, arg: string) => {
    const value = args.get(arg);
    if (value === undefined) {
      missing.push(arg);
      return _whole;
    }
    const key = arg.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1');
    if (vars[key] !== undefined && vars[key] !== value) {
      missing.push(`${arg} (given two values: ${vars[key]} and ${value})`);
      return _whole;
    }
    vars[key] = value;
    return `{{${key}}}`;
  });
  if (missing.length > 0) {
    note(
      field,
      `metric ${name} not carried over: no value for args ${missing.join(', ')}; add them under vars and the check by hand`,
    );
    return undefined;
  }
  if (typeof prometheus.address === 'string') {
    addPrometheusSource(sources, prometheus.address, `${field}.provider.prometheus.address`, note);
  }
  for (const key of ['authentication', 'headers', 'timeout', 'insecure']) {
    if (prometheus[key] !== undefined)
      note(`${field}.provider.prometheus.${key}`, 'not carried over: set it on analysis.source');
  }
  const counted = [
    'interval',
    'count',
    'failureLimit',
    'inconclusiveLimit',
    'consecutiveErrorLimit',
    'initialDelay',
  ]
    .filter((k) => metric[k] !== undefined)
    .map((k) => `${k} ${String(metric[k])}`);
  if (counted.length > 0) {
    note(
      field,
      `${counted.join(', ')} not carried over: Argo measures every interval and fails after failureLimit failures; glidepath evaluates at every check tick, rolls back on the first failed analysis and holds the step while data is missing`,
    );
  }
  if (bounds.note) note(field, bounds.note);
  return {
    name: checkName(name, field, note),
    query,
    ...(bounds.min !== undefined ? { min: bounds.min } : {}),
    ...(bounds.max !== undefined ? { max: bounds.max } : {}),
  };
}
