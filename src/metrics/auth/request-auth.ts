import { MetricsUnavailableError } from '../source.js';

/** A request about to be sent, as an auth sees it (to sign it or add a token). */
export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/** What the backend answered when it refused a request. */
export interface Refusal {
  status: number;
  body: string;
  headers: { get(name: string): string | null };
}

/**
 * One cloud's way of authorising a request to its metrics API. Implementations
 * take credentials from where the cloud's official login action leaves them
 * and use that cloud's own library to get tokens or sign; they never log or
 * return a secret in a message.
 */
export interface RequestAuth {
  /** Which credential is used, for messages, e.g. `AWS credentials from the environment (access key …WXYZ)`. */
  readonly credential: string;
  /** What the cloud expects of that identity, e.g. the role on the workspace, for 401/403 messages. */
  readonly expects: string;
  /** Headers to add to the request: a signature, a token, an instance header. */
  authorize(request: OutgoingRequest): Promise<Record<string, string>>;
  /**
   * The backend refused a request. Returns true when sending it again may
   * succeed (a token that expired early is dropped so the next authorize gets
   * a fresh one; a skewed clock is corrected), false when it is final.
   */
  refused(refusal: Refusal): boolean;
}

/** Registers a value with the runner's log masking (core.setSecret in an action). */
export type Mask = (secret: string) => void;

/** A credential that could not be obtained: names the credential and what to fix, never the secret. */
export class CredentialError extends MetricsUnavailableError {
  // A subclass of MetricsUnavailableError: checks fail closed, a rollout rolls back.
  override readonly name = 'MetricsUnavailableError';
}
