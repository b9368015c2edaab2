import type { Dispatcher } from 'undici';
import { createDispatcher, defaultRetryPolicy, type RetryPolicy, requestWithRetry } from './http-client.js';
import {
  type MetricsSource,
  MetricsUnavailableError,
  QueryRejectedError,
  type Sample,
  type Series,
  type TimeRange,
} from './source.js';

export interface DatadogOptions {
  /** Datadog site, e.g. datadoghq.com, datadoghq.eu, us5.datadoghq.com. */
  site: string;
  /** Overrides https://api.<site>. */
  address?: string;
  apiKey: string;
  appKey: string;
  /** How far back an instant query reads; default 5 minutes (Flagger reads its interval). */
  lookbackMs?: number;
  retry?: Partial<RetryPolicy>;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

interface QueryAnswer {
  status?: string;
  error?: string;
  errors?: string[];
  series?: Array<{
    metric?: string;
    scope?: string;
    expression?: string;
    tag_set?: string[];
    pointlist?: Array<[number, number | null]>;
  }>;
}

/**
 * Datadog's "Query timeseries points" API, `GET /api/v1/query?from&to&query`
 * with the DD-API-KEY and DD-APPLICATION-KEY headers
 * (docs.datadoghq.com/api/latest/metrics/#query-timeseries-points), as
 * Flagger's Datadog provider calls it: the value of an instant query is the
 * latest non-null point of each series.
 */
export class DatadogSource implements MetricsSource {
  readonly description: string;
  private readonly base: URL;
  private readonly headers: Record<string, string>;
  private readonly secrets: string[];
  private readonly retry: RetryPolicy;
  private readonly dispatcher: Dispatcher;
  private readonly lookbackMs: number;
  private readonly now: () => Date;

  constructor(options: DatadogOptions) {
    const address = options.address ?? `https://api.${options.site}`;
    // A trailing slash so that an address with a path (a proxy) keeps it.
    this.base = new URL(address.endsWith('/') ? address : `${address}/`);
    this.description = `Datadog (${options.site}) at ${this.base.origin}`;
    this.headers = {
      accept: 'application/json',
      'DD-API-KEY': options.apiKey,
      'DD-APPLICATION-KEY': options.appKey,
    };
    this.secrets = [options.apiKey, options.appKey];
    this.retry = { ...defaultRetryPolicy, ...options.retry };
    this.dispatcher = createDispatcher({ env: options.env });
    this.lookbackMs = options.lookbackMs ?? 5 * 60_000;
    this.now = options.now ?? (() => new Date());
  }

  async query(expr: string, at?: Date): Promise<Sample[]> {
    const end = at ?? this.now();
    const series = await this.call(expr, new Date(end.getTime() - this.lookbackMs), end);
    return series.flatMap((s) => {
      const latest = [...s.points].reverse().find(([, v]) => Number.isFinite(v));
      return latest ? [{ labels: s.labels, value: latest[1] }] : [];
    });
  }

  async queryRange(expr: string, range: TimeRange): Promise<Series[]> {
    return this.call(expr, range.start, range.end);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async call(expr: string, start: Date, end: Date): Promise<Series[]> {
    const url = new URL('api/v1/query', this.base);
    url.searchParams.set('from', String(Math.floor(start.getTime() / 1000)));
    url.searchParams.set('to', String(Math.ceil(end.getTime() / 1000)));
    url.searchParams.set('query', expr);
    const answer = await requestWithRetry(
      url,
      { method: 'GET', headers: this.headers },
      this.retry,
      this.dispatcher,
      this.description,
    );
    const parsed = parseJson(answer.body) as QueryAnswer | undefined;
    const said = this.blank((parsed?.errors ?? []).join('; ') || parsed?.error || answer.body.slice(0, 200));
    if (answer.status === 401 || answer.status === 403) {
      throw new MetricsUnavailableError(
        `${this.description} answered HTTP ${answer.status}: the API key (apiKeyEnv) and application key (appKeyEnv) were refused: both must belong to the organisation on ${this.base.host}, and the application key needs the timeseries_query scope${said ? ` (server said: ${said})` : ''}`,
      );
    }
    if (answer.status >= 400 || !parsed || parsed.status === 'error') {
      throw new QueryRejectedError(
        `${this.description} refused the query: ${said || `HTTP ${answer.status}`}`,
      );
    }
    return (parsed.series ?? []).map((s) => ({
      labels: {
        ...labelsOf(s.tag_set ?? []),
        ...(s.metric ? { metric: s.metric } : {}),
        ...(s.scope ? { scope: s.scope } : {}),
      },
      // Datadog gives milliseconds; the seam speaks unix seconds. Null points are gaps.
      points: (s.pointlist ?? []).map(([t, v]) => [t / 1000, v ?? Number.NaN] as [number, number]),
    }));
  }

  private blank(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (secret) out = out.split(secret).join('***');
    return out;
  }
}

function labelsOf(tags: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const tag of tags) {
    const i = tag.indexOf(':');
    if (i > 0) labels[tag.slice(0, i)] = tag.slice(i + 1);
    else labels[tag] = '';
  }
  return labels;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
