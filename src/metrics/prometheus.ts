import type { Dispatcher } from 'undici';
import type { RequestAuth } from './auth/request-auth.js';
import { createDispatcher, defaultRetryPolicy, type RetryPolicy, requestWithRetry } from './http-client.js';
import {
  type MetricsSource,
  MetricsUnavailableError,
  QueryRejectedError,
  type Sample,
  type Series,
  type TimeRange,
} from './source.js';

export interface PrometheusOptions {
  address: string;
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  headers?: Record<string, string>;
  caFile?: string;
  /** A cloud's own auth (SigV4, Entra, Google, IBM IAM), applied to every request. */
  auth?: RequestAuth;
  retry?: Partial<RetryPolicy>;
  /** Environment read for proxies; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

type ApiAnswer =
  | { status: 'success'; data: { resultType: string; result: unknown }; warnings?: string[] }
  | { status: 'error'; errorType: string; error: string };

/**
 * The Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`), which the
 * managed services of AWS, Azure, Google and IBM also speak. Queries go as
 * POST forms so that long queries never hit URL length limits.
 */
export class PrometheusSource implements MetricsSource {
  readonly description: string;
  private readonly base: URL;
  private readonly headers: Record<string, string>;
  private readonly retry: RetryPolicy;
  private readonly dispatcher: Dispatcher;
  /** What to tell the user to check on a 401/403, by the credentials this source sends. */
  private readonly credentialsHint: string;
  /** Values that must never reach an error message, even if a server echoes them back. */
  private readonly secrets: string[] = [];
  private readonly auth?: RequestAuth;

  constructor(options: PrometheusOptions) {
    this.base = new URL(options.address.endsWith('/') ? options.address : `${options.address}/`);
    this.description = `Prometheus at ${this.base.origin}${this.base.pathname.replace(/\/$/, '')}`;
    this.headers = { accept: 'application/json', ...options.headers };
    this.credentialsHint =
      'check the credentials: the server wants a bearer token (tokenEnv, prometheus-token) or basic auth (basicAuth)';
    if (options.bearerToken) {
      this.headers.authorization = `Bearer ${options.bearerToken}`;
      this.secrets.push(options.bearerToken);
      this.credentialsHint =
        'check the credentials: the bearer token was refused (wrong, expired or lacking access)';
    }
    if (options.basicAuth) {
      const pair = `${options.basicAuth.username}:${options.basicAuth.password}`;
      this.headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
      this.secrets.push(options.basicAuth.password, Buffer.from(pair).toString('base64'));
      this.credentialsHint = `check the credentials: the basic auth username ${JSON.stringify(options.basicAuth.username)} and its password were refused`;
    }
    if (options.auth) {
      this.auth = options.auth;
      this.credentialsHint = `${options.auth.credential} was refused: ${options.auth.expects}`;
    }
    this.retry = { ...defaultRetryPolicy, ...options.retry };
    this.dispatcher = createDispatcher({ caFile: options.caFile, env: options.env });
  }

  async query(expr: string, at?: Date): Promise<Sample[]> {
    const form: Record<string, string> = { query: expr };
    if (at) form.time = (at.getTime() / 1000).toFixed(3);
    const data = await this.call('api/v1/query', form);
    switch (data.resultType) {
      case 'vector':
        return (data.result as Array<{ metric: Record<string, string>; value: [number, string] }>).map(
          (s) => ({
            labels: s.metric,
            value: Number(s.value[1]),
          }),
        );
      case 'scalar': {
        const [, value] = data.result as [number, string];
        return [{ labels: {}, value: Number(value) }];
      }
      default:
        throw new QueryRejectedError(
          `the query returns a ${data.resultType}, not a number: drop the range selector [..] or wrap it in a function such as rate()`,
        );
    }
  }

  async queryRange(expr: string, range: TimeRange): Promise<Series[]> {
    const data = await this.call('api/v1/query_range', {
      query: expr,
      start: (range.start.getTime() / 1000).toFixed(3),
      end: (range.end.getTime() / 1000).toFixed(3),
      step: `${range.stepSeconds}s`,
    });
    return (data.result as Array<{ metric: Record<string, string>; values: Array<[number, string]> }>).map(
      (s) => ({
        labels: s.metric,
        points: s.values.map(([t, v]) => [t, Number(v)] as [number, number]),
      }),
    );
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async call(
    path: string,
    form: Record<string, string>,
  ): Promise<{ resultType: string; result: unknown }> {
    const url = new URL(path, this.base);
    const request = {
      method: 'POST',
      headers: { ...this.headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    };
    const send = async () => {
      // Signed or given a token per attempt: a SigV4 signature holds its time, a token may have been refreshed.
      const extra = this.auth ? await this.auth.authorize({ ...request, url }) : {};
      return requestWithRetry(
        url,
        { ...request, headers: { ...request.headers, ...extra } },
        this.retry,
        this.dispatcher,
        this.description,
      );
    };
    let answer = await send();
    // A token that expired early or a skewed clock: the auth fixes itself once, then the refusal stands.
    if ((answer.status === 401 || answer.status === 403) && this.auth?.refused(answer)) answer = await send();
    if (answer.status === 401 || answer.status === 403) {
      const reason = answer.status === 401 ? 'Unauthorized' : 'Forbidden';
      throw new MetricsUnavailableError(
        `${this.description} answered HTTP ${answer.status} ${reason}: ${this.credentialsHint}${this.excerpt(answer.body)}`,
      );
    }
    let parsed: ApiAnswer;
    try {
      parsed = JSON.parse(answer.body) as ApiAnswer;
    } catch {
      throw new MetricsUnavailableError(
        `${this.description} answered HTTP ${answer.status} with something other than the Prometheus API's JSON${this.excerpt(answer.body)}`,
      );
    }
    if (parsed.status === 'error') {
      throw new QueryRejectedError(
        `${this.description} refused the query (${parsed.errorType}): ${parsed.error}`,
      );
    }
    if (answer.status >= 400) {
      throw new QueryRejectedError(`${this.description} answered HTTP ${answer.status}`);
    }
    return parsed.data;
  }

  /** The start of a server's answer for an error message, with any secret we sent blanked out. */
  private excerpt(body: string): string {
    let text = body.trim();
    for (const secret of this.secrets) if (secret) text = text.split(secret).join('***');
    text = text.slice(0, 200);
    return text ? ` (server said: ${text})` : '';
  }
}
