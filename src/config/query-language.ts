import { parse as parseYaml } from 'yaml';
import { type ConfigProblem, ConfigurationError } from './errors.js';
import type { SourceConfig } from './source.js';
import { renderQuery, type TemplateValues } from './template.js';

type Where = Omit<ConfigProblem, 'message'>;

/**
 * Renders a check's query in the language of the source that will answer it:
 * PromQL for Prometheus and scrape, a GetMetricData query list for
 * CloudWatch, a metrics query for Datadog. Each renderer puts template values
 * only where that language can hold them safely.
 */
export function renderSourceQuery(
  provider: SourceConfig['provider'] | undefined,
  template: string,
  values: TemplateValues,
  where: Where = {},
): string {
  switch (provider) {
    case 'cloudwatch':
      return renderCloudWatchQuery(template, values, where);
    case 'datadog':
      return renderDatadogQuery(template, values, where);
    default:
      return renderQuery(template, values, where);
  }
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const HAS_PLACEHOLDER = /\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}/;

function substitute(text: string, values: TemplateValues, fail: (m: string) => ConfigurationError): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw fail(
        `unknown template variable {{${name}}}: known are ${
          Object.keys(values)
            .map((k) => `{{${k}}}`)
            .join(', ') || 'none'
        }; add it under vars`,
      );
    }
    if (/[\u0000-\u001f\u007f]/.test(value)) {
      throw fail(`the value of {{${name}}} holds control characters, which cannot be sent in a query`);
    }
    return value;
  });
}

interface MetricDataQuery {
  Id: string;
  Expression?: string;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions?: Array<{ Name: string; Value: string }> };
    Period: number;
    Stat: string;
    Unit?: string;
  };
  Label?: string;
  ReturnData?: boolean;
  Period?: number;
}

/**
 * A CloudWatch check's query is a list of GetMetricData `MetricDataQuery`
 * objects (YAML or JSON), as in Flagger's CloudWatch provider: metrics by
 * namespace, name and dimensions, and metric math expressions over their ids
 * (docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html).
 * Template values may stand only in dimension values: the structure is parsed
 * first and the values go into it as data, so they are escaped by the JSON
 * encoding and can never become an expression, a SEARCH() or another metric.
 */
export function renderCloudWatchQuery(template: string, values: TemplateValues, where: Where = {}): string {
  const fail = (message: string) => new ConfigurationError([{ ...where, message }]);
  let parsed: unknown;
  try {
    parsed = parseYaml(template);
  } catch (e: unknown) {
    throw fail(
      `is not a YAML/JSON list of CloudWatch MetricDataQuery objects: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`,
    );
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw fail(
      'must be a list of CloudWatch MetricDataQuery objects, e.g. [{Id: errors, MetricStat: {Metric: {Namespace: AWS/ApplicationELB, MetricName: HTTPCode_Target_5XX_Count, Dimensions: [{Name: TargetGroup, Value: "{{track}}"}]}, Period: 60, Stat: Sum}, ReturnData: false}, {Id: rate, Expression: errors / requests}]',
    );
  }
  const queries = parsed.map((raw, i): MetricDataQuery => {
    const at = `[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw fail(`${at} must be a MetricDataQuery object`);
    const q = raw as Record<string, unknown>;
    if (typeof q.Id !== 'string' || !/^[a-z][A-Za-z0-9_]*$/.test(q.Id)) {
      throw fail(
        `${at}.Id must start with a lower-case letter and hold only letters, digits and "_" (CloudWatch's rule)`,
      );
    }
    if ((q.Expression === undefined) === (q.MetricStat === undefined)) {
      throw fail(`${at} (${q.Id}) must have exactly one of Expression and MetricStat`);
    }
    // Everything but dimension values must be free of placeholders.
    const dims = (q.MetricStat as { Metric?: { Dimensions?: unknown } } | undefined)?.Metric?.Dimensions;
    const withoutDims = JSON.stringify({
      ...q,
      MetricStat: q.MetricStat
        ? {
            ...(q.MetricStat as object),
            Metric: { ...((q.MetricStat as { Metric?: object }).Metric ?? {}), Dimensions: undefined },
          }
        : undefined,
    });
    if (HAS_PLACEHOLDER.test(withoutDims)) {
      throw fail(
        `${at} (${q.Id}): template values are allowed only in dimension values (MetricStat.Metric.Dimensions[].Value), where they are sent as data; put the value in a dimension`,
      );
    }
    if (dims !== undefined) {
      if (!Array.isArray(dims))
        throw fail(`${at}.MetricStat.Metric.Dimensions must be a list of {Name, Value}`);
      const rendered = dims.map((d: unknown, j: number) => {
        const dim = d as { Name?: unknown; Value?: unknown };
        if (typeof dim.Value === 'object' && dim.Value !== null) {
          throw fail(
            `${at}.MetricStat.Metric.Dimensions[${j}].Value is a YAML mapping: quote a placeholder, e.g. Value: "{{track}}"`,
          );
        }
        if (typeof dim.Name !== 'string' || HAS_PLACEHOLDER.test(dim.Name) || typeof dim.Value !== 'string') {
          throw fail(
            `${at}.MetricStat.Metric.Dimensions[${j}] must be {Name: <text>, Value: <text>}; template values only in Value`,
          );
        }
        const value = substitute(dim.Value, values, (m) =>
          fail(`${at}.MetricStat.Metric.Dimensions[${j}].Value: ${m}`),
        );
        // CloudWatch dimension values are 1 to 1024 characters (API_Dimension.html).
        if (value.length < 1 || value.length > 1024) {
          throw fail(
            `${at}.MetricStat.Metric.Dimensions[${j}].Value must be 1 to 1024 characters once rendered (got ${value.length})`,
          );
        }
        return { Name: dim.Name, Value: value };
      });
      const stat = q.MetricStat as NonNullable<MetricDataQuery['MetricStat']>;
      return {
        ...(q as unknown as MetricDataQuery),
        MetricStat: { ...stat, Metric: { ...stat.Metric, Dimensions: rendered } },
      };
    }
    return q as unknown as MetricDataQuery;
  });
  if (!queries.some((q) => q.ReturnData !== false)) {
    throw fail(
      'no query returns data: leave ReturnData unset (true) on the one whose value the check judges',
    );
  }
  return JSON.stringify(queries);
}

/**
 * A Datadog check's query is a Datadog metrics query such as
 * `sum:trace.http.request.errors{service:{{service}},version:{{track}}}.as_count()`.
 * Template values may stand only in tag values inside `{...}` scopes, and
 * only as characters a Datadog tag can hold (docs.datadoghq.com/getting_started/tagging:
 * letters, digits, `_ - : . /`), so a value can add no tag, scope or function.
 */
export function renderDatadogQuery(template: string, values: TemplateValues, where: Where = {}): string {
  const fail = (message: string) => new ConfigurationError([{ ...where, message }]);
  let out = '';
  let depth = 0;
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const before = template.slice(last, match.index);
    for (const c of before) {
      if (c === '{') depth++;
      else if (c === '}') depth--;
    }
    out += before;
    const name = match[1] as string;
    const prior = out.slice(Math.max(out.lastIndexOf('{'), out.lastIndexOf(','), out.lastIndexOf(' ')) + 1);
    if (depth !== 1 || !/^!?[A-Za-z][A-Za-z0-9_.\-/]*:[A-Za-z0-9_.:\-/]*$/.test(prior)) {
      throw fail(
        `{{${name}}} may stand only in a tag value inside the {...} scope, e.g. {service:{{service}}}; Datadog queries have no quoting, so anywhere else it could change the query`,
      );
    }
    const value = substitute(match[0], values, fail);
    if (!/^[A-Za-z0-9_.:\-/]+$/.test(value)) {
      throw fail(
        `the value of {{${name}}} (${JSON.stringify(value)}) holds characters a Datadog tag cannot (only letters, digits and _ - : . /)`,
      );
    }
    out += value;
    last = (match.index ?? 0) + match[0].length;
  }
  out += template.slice(last);
  if (out.trim() === '') throw fail('is empty: give a Datadog metrics query');
  return out;
}
