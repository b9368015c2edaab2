import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Agent, type Dispatcher, EnvHttpProxyAgent, fetch } from 'undici';
import { ConfigurationError } from '../config/errors.js';
import { describeNetworkError } from './network-error.js';
import { MetricsUnavailableError } from './source.js';

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RetryPolicy {
  /** Attempts after the first one. */
  retries: number;
  timeoutMs: number;
  /** First back-off; doubles per attempt, capped at maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  sleep: Sleep;
}

export const defaultRetryPolicy: RetryPolicy = {
  retries: 3,
  timeoutMs: 30_000,
  backoffMs: 500,
  maxBackoffMs: 8_000,
  sleep: realSleep,
};

export interface HttpAnswer {
  status: number;
  body: string;
  headers: { get(name: string): string | null };
}

/**
 * A dispatcher that honours HTTP(S)_PROXY and NO_PROXY as runners set them,
 * and trusts an extra CA bundle for self-hosted backends.
 */
export function createDispatcher(options: { caFile?: string; env?: NodeJS.ProcessEnv } = {}): Dispatcher {
  const env = options.env ?? process.env;
  const tls = options.caFile ? { ca: readCaBundle(options.caFile) } : undefined;
  const httpProxy = env.HTTP_PROXY ?? env.http_proxy;
  const httpsProxy = env.HTTPS_PROXY ?? env.https_proxy;
  if (httpProxy || httpsProxy) {
    return new EnvHttpProxyAgent({
      httpProxy,
      httpsProxy,
      noProxy: env.NO_PROXY ?? env.no_proxy,
      ...(tls ? { connect: tls, requestTls: tls } : {}),
    });
  }
  return new Agent(tls ? { connect: tls } : {});
}

/**
 * Reads a PEM CA bundle up front, so that a wrong path or a non-PEM file is a
 * configuration error at start rather than a raw ENOENT, or (worse, since
 * Node silently ignores a `ca` without certificates) a verification failure
 * at the first query.
 */
function readCaBundle(caFile: string): string {
  const where = `${caFile}${caFile === resolve(caFile) ? '' : ` (resolved to ${resolve(caFile)})`}`;
  const problem = (message: string) => new ConfigurationError([{ field: 'caFile', message }]);
  let text: string;
  try {
    text = readFileSync(caFile, 'utf8');
  } catch (e: unknown) {
    const code = (e as { code?: string }).code ?? String(e);
    throw problem(
      `cannot read the CA bundle ${where}: ${code}; give the path of a PEM file of the CA that signed the server's certificate`,
    );
  }
  try {
    if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate');
    new X509Certificate(text);
  } catch {
    throw problem(
      `${where} holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks); give the CA's certificate, not its key or a DER file`,
    );
  }
  return text;
}

/** Failures of certificate verification: the same answer comes back on every attempt. */
const certificateErrors = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Sends a request, retrying what a retry can fix (timeouts, dropped
 * connections, 429 and 5xx) with exponential back-off, and returning any
 * other answer (including 4xx) at once for the caller to explain.
 */
export async function requestWithRetry(
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string },
  policy: RetryPolicy,
  dispatcher: Dispatcher,
  describe: string,
): Promise<HttpAnswer> {
  let lastProblem = '';
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    if (attempt > 0) await policy.sleep(backoff(policy, attempt));
    try {
      const response = await fetch(url, {
        ...init,
        dispatcher,
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
      const body = await response.text();
      if (response.status === 429 || response.status >= 500) {
        lastProblem = `HTTP ${response.status}${errorText(body)}`;
        continue;
      }
      return { status: response.status, body, headers: response.headers };
    } catch (e: unknown) {
      const code = (e as { cause?: { code?: unknown } }).cause?.code;
      if (typeof code === 'string' && certificateErrors.has(code)) {
        throw new MetricsUnavailableError(
          `${describe} presented a TLS certificate that could not be verified: ${describeNetworkError(e, url, policy.timeoutMs)}; if a private CA signed it, set caFile to that CA's PEM certificate (not retried: every attempt would fail the same way)`,
        );
      }
      lastProblem = describeNetworkError(e, url, policy.timeoutMs);
    }
  }
  throw new MetricsUnavailableError(
    `${describe} did not answer usefully after ${policy.retries + 1} attempt${policy.retries ? 's' : ''}: ${lastProblem}`,
  );
}

function backoff(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (attempt - 1));
}

function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return `: ${parsed.error}`;
  } catch {
    // not JSON: fall through to the raw text
  }
  const text = body.trim().slice(0, 200);
  return text ? `: ${text}` : '';
}
