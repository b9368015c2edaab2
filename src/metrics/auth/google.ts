import { readFileSync } from 'node:fs';
import { fetch as undiciFetch } from 'undici';
import { ConfigurationError } from '../../config/errors.js';
import { createDispatcher } from '../http-client.js';
import { firstLine } from './azure.js';
import type { Mask, OutgoingRequest, Refusal, RequestAuth } from './request-auth.js';
import { CredentialError } from './request-auth.js';
import { TokenCache } from './token-cache.js';

export interface GoogleAuthOptions {
  credentialsFile?: string;
  scope: string;
  env: NodeJS.ProcessEnv;
  mask: Mask;
  now?: () => Date;
}

/**
 * A Google OAuth access token for Google Cloud Managed Service for
 * Prometheus, from Application Default Credentials with
 * `google-auth-library`. google-github-actions/auth with workload identity
 * federation writes an `external_account` file and exports its path as
 * GOOGLE_APPLICATION_CREDENTIALS; the library exchanges the GitHub OIDC token
 * it names at the file's `token_url` (STS) and, when the file says so,
 * impersonates the service account. Every endpoint comes from the file.
 */
export class GoogleCloudAuth implements RequestAuth {
  readonly credential: string;
  readonly expects: string;
  private readonly tokens: TokenCache;

  constructor(options: GoogleAuthOptions) {
    const keyFilename = options.credentialsFile ?? options.env.GOOGLE_APPLICATION_CREDENTIALS;
    this.credential = describeGoogleCredential(keyFilename);
    this.expects =
      'a token with the monitoring.read scope, and the identity (the service account, or the workload identity principal) needs roles/monitoring.viewer on the project the address names';
    // gaxios would load node-fetch with a dynamic import, which our bundles
    // refuse (one file per action); undici's fetch with the proxy-aware
    // dispatcher does the same requests and honours HTTPS_PROXY/NO_PROXY.
    const dispatcher = createDispatcher({ env: options.env });
    const fetchImplementation = ((url: string | URL, init?: Record<string, unknown>) =>
      undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch;
    const now = options.now ?? (() => new Date());
    this.tokens = new TokenCache(
      async () => {
        try {
          // A new client per token: the library caches tokens by its own
          // clock, and a refused token must not come back from that cache.
          // Loaded with the first token, not at bundle start.
          const { GoogleAuth } = await import('google-auth-library');
          const client = await new GoogleAuth({
            ...(keyFilename ? { keyFilename } : {}),
            scopes: options.scope,
            clientOptions: { transporterOptions: { fetchImplementation } },
          }).getClient();
          const { token } = await client.getAccessToken();
          if (!token) throw new Error('the token endpoint returned no access token');
          const expiry = (client as { credentials?: { expiry_date?: number | null } }).credentials
            ?.expiry_date;
          // expiry_date is the expireTime the IAM Credentials API states (absolute);
          // Google access tokens live an hour when the answer says nothing.
          return { token, expiresAt: expiry ? new Date(expiry) : new Date(now().getTime() + 3_600_000) };
        } catch (e: unknown) {
          throw new CredentialError(
            `could not get a Google access token with ${this.credential}: ${firstLine(e)}; check the workload identity provider's attribute condition and that the principal may impersonate the service account (roles/iam.workloadIdentityUser)`,
          );
        }
      },
      now,
      options.mask,
    );
  }

  async authorize(_request: OutgoingRequest): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.tokens.get()}` };
  }

  refused(refusal: Refusal): boolean {
    if (refusal.status !== 401) return false;
    this.tokens.drop();
    return true;
  }
}

function describeGoogleCredential(file: string | undefined): string {
  if (!file) return 'Google Application Default Credentials (gcloud or the metadata server)';
  let parsed: {
    type?: string;
    client_email?: string;
    service_account_impersonation_url?: string;
    audience?: string;
  };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
  } catch (e: unknown) {
    throw new ConfigurationError([
      {
        field: 'spec.source.auth.credentialsFile',
        message: `cannot read the Google credentials file ${file}: ${(e as { code?: string }).code ?? firstLine(e)}; run google-github-actions/auth first (it exports GOOGLE_APPLICATION_CREDENTIALS)`,
      },
    ]);
  }
  if (parsed.type === 'external_account') {
    const account = /serviceAccounts\/([^:/]+):generateAccessToken/.exec(
      parsed.service_account_impersonation_url ?? '',
    )?.[1];
    return `the external_account credentials in ${file}${account ? ` impersonating ${account}` : ` (direct workload identity, audience ${parsed.audience})`}`;
  }
  if (parsed.type === 'service_account') return `the service account key ${parsed.client_email} in ${file}`;
  return `the ${parsed.type ?? 'unknown'} credentials in ${file}`;
}
