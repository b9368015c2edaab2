import type { Dispatcher } from 'undici';
import { SigV4Auth } from './auth/sigv4.js';
import { createDispatcher, defaultRetryPolicy, type RetryPolicy, requestWithRetry } from './http-client.js';
import {
  type MetricsSource,
  MetricsUnavailableError,
  QueryRejectedError,
  type Sample,
  type Series,
  type TimeRange,
} from './source.js';

export interface CloudWatchOptions {
  region?: string;
  /** Default https://monitoring.<region>.amazonaws.com, or AWS_ENDPOINT_URL_CLOUDWATCH as the AWS SDKs read it. */
  endpoint?: string;
  /** How far back an instant query looks for the latest data point; default 5 minutes. */
  lookbackMs?: number;
  retry?: Partial<RetryPolicy>;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

interface GetMetricDataAnswer {
  MetricDataResults?: Array<{
    Id: string;
    Label?: string;
    Timestamps?: number[];
    Values?: number[];
    StatusCode?: string;
  }>;
  NextToken?: string;
  Messages?: Array<{ Code?: string; Value?: string }>;
}

/**
 * Amazon CloudWatch `GetMetricData` over the AWS JSON 1.0 protocol
 * (`X-Amz-Target: GraniteServiceVersion20100801.GetMetricData`, CloudWatch API
 * Reference, "Making API requests"), signed with SigV4 (service
 * `monitoring`) and the AWS SDK's credential chain. A query is the JSON list
 * of MetricDataQuery objects that renderCloudWatchQuery produced; each
 * returned series (ReturnData) is one sample whose value is its latest point.
 */
export class CloudWatchSource implements MetricsSource {
  readonly description: string;
  private readonly endpoint: URL;
  private readonly auth: SigV4Auth;
  private readonly retry: RetryPolicy;
  private readonly dispatcher: Dispatcher;
  private readonly lookbackMs: number;
  private readonly now: () => Date;

  constructor(options: CloudWatchOptions) {
    const env = options.env ?? process.env;
    const endpoint = options.endpoint ?? env.AWS_ENDPOINT_URL_CLOUDWATCH;
    this.auth = new SigV4Auth({
      service: 'monitoring',
      region: options.region,
      address: endpoint ?? '',
      regionField: 'spec.source.region',
      env,
      now: options.now,
    });
    this.endpoint = new URL(endpoint ?? `https://monitoring.${this.auth.region}.amazonaws.com/`);
    this.description = `CloudWatch in ${this.auth.region}${endpoint ? ` at ${this.endpoint.origin}` : ''}`;
    this.retry = { ...defaultRetryPolicy, ...options.retry };
    this.dispatcher = createDispatcher({ env });
    this.lookbackMs = options.lookbackMs ?? 5 * 60_000;
    this.now = options.now ?? (() => new Date());
  }

  async query(expr: string, at?: Date): Promise<Sample[]> {
    const end = at ?? this.now();
    const results = await this.getMetricData(expr, new Date(end.getTime() - this.lookbackMs), end);
    return results.flatMap((r) =>
      // TimestampDescending: the first value is the latest.
      r.Values && r.Values.length > 0
        ? [{ labels: { id: r.Id, label: r.Label ?? r.Id }, value: r.Values[0] as number }]
        : [],
    );
  }

  async queryRange(expr: string, range: TimeRange): Promise<Series[]> {
    const results = await this.getMetricData(expr, range.start, range.end);
    return results.map((r) => ({
      labels: { id: r.Id, label: r.Label ?? r.Id },
      points: (r.Timestamps ?? [])
        .map((t, i) => [t, r.Values?.[i] ?? Number.NaN] as [number, number])
        .sort((a, b) => a[0] - b[0]),
    }));
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async getMetricData(
    expr: string,
    start: Date,
    end: Date,
  ): Promise<NonNullable<GetMetricDataAnswer['MetricDataResults']>> {
    let queries: unknown;
    try {
      queries = JSON.parse(expr);
    } catch {
      throw new QueryRejectedError(`${this.description}: the query is not a rendered MetricDataQuery list`);
    }
    const results = new Map<string, NonNullable<GetMetricDataAnswer['MetricDataResults']>[number]>();
    let nextToken: string | undefined;
    // GetMetricData pages by NextToken; a check's handful of series fits a few pages at most.
    for (let page = 0; page < 20; page++) {
      const body = JSON.stringify({
        MetricDataQueries: queries,
        StartTime: Math.floor(start.getTime() / 1000),
        EndTime: Math.ceil(end.getTime() / 1000),
        ScanBy: 'TimestampDescending',
        ...(nextToken ? { NextToken: nextToken } : {}),
      });
      const answer = await this.call(body);
      for (const r of answer.MetricDataResults ?? []) {
        const seen = results.get(r.Id);
        if (!seen)
          results.set(r.Id, { ...r, Timestamps: [...(r.Timestamps ?? [])], Values: [...(r.Values ?? [])] });
        else {
          seen.Timestamps?.push(...(r.Timestamps ?? []));
          seen.Values?.push(...(r.Values ?? []));
        }
      }
      nextToken = answer.NextToken;
      if (!nextToken) break;
    }
    return [...results.values()];
  }

  private async call(body: string): Promise<GetMetricDataAnswer> {
    const request = {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'GraniteServiceVersion20100801.GetMetricData',
        accept: 'application/json',
      },
      body,
    };
    const send = async () => {
      const signed = await this.auth.authorize({ ...request, url: this.endpoint });
      return requestWithRetry(
        this.endpoint,
        { ...request, headers: { ...request.headers, ...signed } },
        this.retry,
        this.dispatcher,
        this.description,
      );
    };
    let answer = await send();
    if ((answer.status === 401 || answer.status === 403) && this.auth.refused(answer)) answer = await send();
    const parsed = parseJson(answer.body) as
      | (GetMetricDataAnswer & { __type?: string; message?: string; Message?: string })
      | undefined;
    if (answer.status === 401 || answer.status === 403) {
      throw new MetricsUnavailableError(
        `${this.description} answered HTTP ${answer.status} (${errorType(parsed)}): ${this.auth.credential} was refused: ${this.auth.expects}`,
      );
    }
    if (answer.status >= 400 || !parsed) {
      const message = parsed?.message ?? parsed?.Message ?? answer.body.slice(0, 200);
      throw new QueryRejectedError(
        `${this.description} refused the query (${errorType(parsed)}): ${message}`,
      );
    }
    return parsed;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `com.amazonaws.cloudwatch#InvalidParameterValueException` → `InvalidParameterValueException`. */
function errorType(parsed: { __type?: string } | undefined): string {
  return parsed?.__type?.split('#').pop() ?? 'no error type';
}
