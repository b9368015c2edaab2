import type { Mask } from './request-auth.js';

export interface AccessToken {
  token: string;
  expiresAt: Date;
}

/**
 * Keeps one access token and gets a new one before it expires, by the given
 * clock: a rollout runs longer than most tokens live (Entra and Google
 * tokens last about an hour, IBM IAM tokens an hour), and a token that
 * expires between two analysis ticks must never fail a step. Five minutes
 * of margin is what the clouds' own SDKs use (MSAL refreshes 5 minutes before
 * expiry, google-auth-library's eagerRefreshThresholdMillis is 5 minutes).
 */
export class TokenCache {
  private current?: AccessToken;
  private pending?: Promise<AccessToken>;

  constructor(
    private readonly fetchToken: () => Promise<AccessToken>,
    private readonly now: () => Date,
    private readonly mask: Mask,
    private readonly marginMs = 5 * 60_000,
  ) {}

  async get(): Promise<string> {
    const current = this.current;
    if (current && this.now().getTime() < current.expiresAt.getTime() - this.marginMs) return current.token;
    // One request for a new token however many queries wait for it.
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    const fresh = await this.pending;
    this.mask(fresh.token);
    this.current = fresh;
    return fresh.token;
  }

  /** The backend refused the token before its stated expiry (revoked, rotated): get another next time. */
  drop(): void {
    this.current = undefined;
  }
}

/** The `exp` claim of a JWT access token, or undefined when the token is not a JWT. */
export function jwtExpiry(token: string): Date | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * MSAL and google-auth-library state expiry on the real clock; the cache runs
 * on the run's clock (simulated in tests). Keep the lifetime, move the origin.
 */
export function onClock(now: () => Date, realExpiryMs: number): Date {
  return new Date(now().getTime() + (realExpiryMs - Date.now()));
}
