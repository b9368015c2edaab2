import { parseDuration } from '../config/duration.js';
import type { SourceConfig } from '../config/source.js';
import { type FieldPath, formatPath, type YamlDocument } from '../config/yaml-document.js';
import { errorRateCheck, latencyCheck, type MetricsFlavour } from './builtin-checks.js';
import { failAt, isRecord, type SourceDocument } from './documents.js';
import { addPrometheusSource, type ImportedCheck as Check, checkName, type Note } from './result.js';

export function durationOf(doc: YamlDocument, value: unknown, path: FieldPath): string {
  if (typeof value === 'string' && parseDuration(value) !== undefined) return value;
  throw failAt(doc, path, `must be a duration such as 30s or 1m, found ${JSON.stringify(value)}`);
}

/** Flagger's Go-template variables and glidepath's equivalents; the canary workload is `<service>-canary`. */
function translateQuery(
  query: string,
  variables: Record<string, unknown>,
): { query: string; untranslated: string[] } {
  const untranslated: string[] = [];
  const text = query.replace(/\{\{-?\s*([^{}]*?)\s*-?\}\}/g, (whole, expression: string) => {
    if (expression === 'namespace') return '{{namespace}}';
    if (expression === 'target') return '{{service}}-canary';
    if (expression === 'service') return '{{service}}';
    if (expression === 'interval') return '{{window}}';
    const variable = /^variables\.([A-Za-z0-9_]+)$/.exec(expression);
    const value = variable ? variables[variable[1] as string] : undefined;
    if (typeof value === 'string' || typeof value === 'number') return String(value);
    untranslated.push(whole);
    return whole;
  });
  return { query: text.trim(), untranslated };
}

/** Flagger metrics as checks: built-ins as PromQL for the mesh, MetricTemplates with their variables translated. */
export function metricsOf(
  canary: SourceDocument,
  analysis: Record<string, unknown>,
  at: (...p: FieldPath) => FieldPath,
  templates: SourceDocument[],
  flavour: MetricsFlavour | undefined,
  sources: SourceConfig[],
  note: Note,
): Check[] {
  const doc = canary.document;
  const metrics = Array.isArray(analysis.metrics) ? analysis.metrics : [];
  const checks: Check[] = [];
  metrics.forEach((metric, i) => {
    const field = formatPath(at('metrics', i));
    if (!isRecord(metric) || typeof metric.name !== 'string') {
      throw failAt(doc, at('metrics', i), 'a metric needs a name');
    }
    const range = isRecord(metric.thresholdRange) ? metric.thresholdRange : {};
    let min = typeof range.min === 'number' ? range.min : undefined;
    let max = typeof range.max === 'number' ? range.max : undefined;
    const window =
      typeof metric.interval === 'string'
        ? durationOf(doc, metric.interval, at('metrics', i, 'interval'))
        : undefined;
    const base = window ? { window } : {};
    const builtin = metric.name === 'request-success-rate' || metric.name === 'request-duration';
    if (typeof metric.threshold === 'number' && min === undefined && max === undefined) {
      // The deprecated single threshold is a floor for the success rate and a ceiling for everything else.
      if (metric.name === 'request-success-rate') min = metric.threshold;
      else max = metric.threshold;
    }

    if (builtin && metric.templateRef === undefined && metric.query === undefined) {
      if (!flavour) {
        note(
          field,
          `built-in metric ${metric.name} not carried over: glidepath has no built-in query for this provider; write the check's query by hand`,
        );
        return;
      }
      if (metric.name === 'request-success-rate') {
        // Success rate in percent becomes an error ratio: min 99 % success is max 0.01 errors.
        const ratio = (percent: number) => Number((1 - percent / 100).toFixed(6));
        checks.push({
          ...errorRateCheck(flavour),
          ...(min !== undefined ? { max: ratio(min) } : {}),
          ...(max !== undefined ? { min: ratio(max) } : {}),
          ...base,
        });
      } else {
        checks.push({
          ...latencyCheck(flavour),
          ...(min !== undefined ? { min } : {}),
          ...(max !== undefined ? { max } : {}),
          ...base,
        });
      }
      return;
    }

    let query: string | undefined = typeof metric.query === 'string' ? metric.query : undefined;
    if (isRecord(metric.templateRef)) {
      const ref = metric.templateRef;
      const refNamespace = typeof ref.namespace === 'string' ? ref.namespace : canary.namespace;
      const template = templates.find(
        (t) =>
          t.name === ref.name &&
          (t.namespace === undefined || refNamespace === undefined || t.namespace === refNamespace),
      );
      if (!template) {
        note(
          field,
          `metric ${metric.name} not carried over: its MetricTemplate ${String(ref.name)} is not in this file; import a file that holds both, or write the query by hand`,
        );
        return;
      }
      const provider = isRecord(template.spec.provider) ? template.spec.provider : {};
      const type = typeof provider.type === 'string' ? provider.type : 'prometheus';
      if (type !== 'prometheus') {
        note(
          field,
          `metric ${metric.name} not carried over: its MetricTemplate uses the ${type} provider, and glidepath checks are PromQL queries`,
        );
        return;
      }
      if (provider.secretRef !== undefined) {
        note(
          `MetricTemplate ${template.name}.spec.provider.secretRef`,
          'not carried over: glidepath reads credentials from environment variables (analysis.source.tokenEnv or basicAuth)',
        );
      }
      if (typeof provider.address === 'string') {
        addPrometheusSource(
          sources,
          provider.address,
          `MetricTemplate ${template.name}.spec.provider.address`,
          note,
        );
      }
      query = typeof template.spec.query === 'string' ? template.spec.query : undefined;
      if (!query) {
        note(field, `metric ${metric.name} not carried over: MetricTemplate ${template.name} has no query`);
        return;
      }
    }
    if (!query) {
      note(
        field,
        `metric ${metric.name} not carried over: it is neither a built-in metric nor has a templateRef or query`,
      );
      return;
    }
    if (min === undefined && max === undefined) {
      note(
        field,
        `metric ${metric.name} not carried over: it has no thresholdRange, and a glidepath check needs min or max`,
      );
      return;
    }
    const variables = isRecord(metric.templateVariables) ? metric.templateVariables : {};
    const translated = translateQuery(query, variables);
    if (translated.untranslated.length > 0) {
      note(
        field,
        `metric ${metric.name} not carried over: its query uses ${translated.untranslated.join(', ')}, which has no glidepath equivalent ({{ namespace }}, {{ target }}, {{ service }}, {{ interval }} and templateVariables do)`,
      );
      return;
    }
    checks.push({
      name: checkName(metric.name, field, note),
      query: translated.query,
      ...(min !== undefined ? { min } : {}),
      ...(max !== undefined ? { max } : {}),
      ...base,
    });
    if (/\{\{ *target *\}\}/.test(query)) {
      note(
        field,
        `{{ target }} became {{service}}-canary: glidepath's canary Deployment is <service>-canary, where Flagger's is the target itself`,
      );
    }
  });
  return checks;
}
