import { STATUS_CODES } from 'node:http';
import { ApiException } from '@kubernetes/client-node';
import { ScopeAbortedError } from './request-scope.js';

/**
 * One translation of what went wrong talking to the API server, for annotations, logs and the
 * report alike. client-node's own message is "HTTP-Code … Body … Headers …" (the whole response,
 * headers included), and undici's network failures say only "fetch failed" with the host and
 * the reason in `cause`; neither is fit to show a person, and neither may carry a token.
 */
export class KubeRequestError extends Error {
  override readonly name = 'KubeRequestError';
  constructor(
    /** What was being done, e.g. "replace Deployment payments/payments-canary". */
    readonly operation: string,
    /** scheme://host:port of the API server. */
    readonly server: string,
    override readonly cause: unknown,
  ) {
    super(`${operation} failed: ${explainKubeFailure(cause, server)}`);
    if (cause instanceof ApiException) this.code = cause.code;
  }

  /** The HTTP status when the server answered (as on client-node's ApiException). */
  readonly code?: number;
}

interface NetworkCause {
  code?: unknown;
  message?: unknown;
  hostname?: unknown;
  address?: unknown;
  port?: unknown;
}

function hostOf(server: string): string {
  try {
    return new URL(server).host;
  } catch {
    return server;
  }
}

const NETWORK_HINTS: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there; check the kubeconfig server address and that the cluster is up',
  ENOTFOUND: 'the name does not resolve; check the kubeconfig server address',
  EAI_AGAIN: 'DNS did not answer; retry, or check the runner network',
  ECONNRESET: 'the connection was reset mid-request',
  ETIMEDOUT: 'the connection timed out; check network access from the runner to the cluster',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out; check network access from the runner to the cluster',
  UND_ERR_SOCKET: 'the server closed the connection mid-request',
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is not trusted; set certificate-authority-data",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's certificate is not trusted; set certificate-authority-data",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate is not trusted; set certificate-authority-data",
};

/** Removes anything that looks like a credential, in case a server echoes a header back. */
export function redactCredentials(text: string): string {
  return text
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 ***')
    .replace(/("?(?:token|password|authorization)"?\s*[:=]\s*)"?[^\s",}]+"?/gi, '$1***');
}

function statusBody(e: ApiException<unknown>): { reason?: string; message?: string } {
  let body: unknown = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      return {};
    }
  }
  if (typeof body !== 'object' || body === null) return {};
  const { reason, message } = body as { reason?: unknown; message?: unknown };
  return {
    ...(typeof reason === 'string' ? { reason } : {}),
    ...(typeof message === 'string' ? { message } : {}),
  };
}

/** Why one request failed, in a sentence: the server's Status, or the network cause with the host. */
export function explainKubeFailure(e: unknown, server?: string): string {
  const host = server ? hostOf(server) : 'the API server';
  const at = server ? `the API server at ${host}` : 'the API server';
  if (e instanceof KubeRequestError) return explainKubeFailure(e.cause, e.server);
  if (e instanceof ApiException) {
    const { reason, message } = statusBody(e);
    const status = `${e.code} ${reason ?? STATUS_CODES[e.code] ?? ''}`.trimEnd();
    const said = message ? `: ${redactCredentials(message)}` : '';
    if (e.code === 401)
      return `${at} answered ${status}${said}; the kubeconfig's credentials are wrong or expired: log in again (e.g. the cluster-login action) or fix the kubeconfig input`;
    if (e.code === 403)
      return `${at} answered ${status}${said}; grant the runner's identity this verb on this resource (Role/RoleBinding)`;
    return `${at} answered ${status}${said || ' (no message)'}`;
  }
  if (e instanceof ScopeAbortedError) return `cut short: ${e.message}`;
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) {
    return e.name === 'TimeoutError'
      ? `${at} did not answer in time (request timeout); it may be overloaded or a webhook may hang`
      : `cut short: ${e.message || 'the request was aborted'}`;
  }
  // KubernetesObjectApi prefixes the message ("Failed to fetch resource metadata for …: fetch failed").
  if (e instanceof Error && e.message.endsWith('fetch failed')) {
    const cause = (e as { cause?: NetworkCause }).cause ?? {};
    const code = typeof cause.code === 'string' ? cause.code : undefined;
    const detail = typeof cause.message === 'string' ? cause.message : undefined;
    const hint = code ? NETWORK_HINTS[code] : undefined;
    return `cannot reach ${at}: ${code ?? detail ?? 'network error'}${hint ? ` (${hint})` : detail && code ? ` (${detail})` : ''}`;
  }
  if (e instanceof Error) return redactCredentials(e.message);
  return redactCredentials(String(e));
}

const TYPED_OPERATION = /^(read|list|create|replace|patch|delete)(Namespaced)?([A-Z]\w*?)(Status|Scale)?$/;

/** "replace Deployment ns/name" from a client-node method name and its arguments. */
export function describeOperation(method: string, args: readonly unknown[]): string {
  const first = (args[0] ?? {}) as {
    kind?: string;
    name?: string;
    namespace?: string;
    metadata?: { name?: string; namespace?: string };
    body?: { kind?: string; metadata?: { name?: string } };
  };
  const match = TYPED_OPERATION.exec(method);
  const kind = first.kind ?? first.body?.kind ?? match?.[3] ?? 'object';
  const namespace = first.metadata?.namespace ?? first.namespace;
  const name = first.metadata?.name ?? first.name ?? first.body?.metadata?.name;
  const verb = match?.[1] ?? method;
  const subresource = match?.[4] ? ` ${match[4].toLowerCase()}` : '';
  const where = name ? ` ${namespace ? `${namespace}/` : ''}${name}` : namespace ? ` in ${namespace}` : '';
  return `${verb} ${kind}${where}${subresource}`;
}

const REQUEST_METHOD = /^(read|list|create|replace|patch|delete)/;

/** Wraps every request method of a client-node API object so its failures name the request and the server. */
export function withRequestErrors<T extends object>(api: T, server: string): T {
  return new Proxy(api, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      // Only the request methods: the rest (path helpers) are synchronous.
      if (typeof value !== 'function' || typeof property !== 'string' || !REQUEST_METHOD.test(property))
        return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (e: unknown) {
          if (e instanceof KubeRequestError) throw e;
          throw new KubeRequestError(describeOperation(property, args), server, e);
        }
      };
    },
  });
}
