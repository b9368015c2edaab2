import { ApiException } from '@kubernetes/client-node';
import { explainKubeFailure, KubeRequestError } from './api-errors.js';

/** What the API server said when it refused a request: HTTP code, Status reason and message. */
export interface ApiRefusal {
  code: number;
  reason?: string;
  message?: string;
}

/** The refusal in an error from @kubernetes/client-node, or undefined for network and other errors. */
export function apiRefusal(e: unknown): ApiRefusal | undefined {
  if (e instanceof KubeRequestError) return apiRefusal(e.cause);
  if (!(e instanceof ApiException)) return undefined;
  let body: unknown = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      body = undefined;
    }
  }
  const status =
    typeof body === 'object' && body !== null ? (body as { reason?: unknown; message?: unknown }) : {};
  return {
    code: e.code,
    ...(typeof status.reason === 'string' ? { reason: status.reason } : {}),
    ...(typeof status.message === 'string' ? { message: status.message } : {}),
  };
}

export function isConflict(e: unknown): boolean {
  return apiRefusal(e)?.code === 409;
}

export function isNotFound(e: unknown): boolean {
  return apiRefusal(e)?.code === 404;
}

/**
 * One line for logs and reports; client-node's own message dumps headers and the raw body.
 * A failed request names what it was doing and the server (see api-errors.ts).
 */
export function describeApiError(e: unknown): string {
  if (e instanceof KubeRequestError) return e.message;
  return explainKubeFailure(e);
}
