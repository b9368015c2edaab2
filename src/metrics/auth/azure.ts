import { getIDToken } from '@actions/core';
import type { TokenCredential } from '@azure/identity';
import { ConfigurationError } from '../../config/errors.js';
import type { Mask, OutgoingRequest, Refusal, RequestAuth } from './request-auth.js';
import { CredentialError } from './request-auth.js';
import { onClock, TokenCache } from './token-cache.js';

export interface AzureAuthOptions {
  tenantId?: string;
  clientId?: string;
  audience: string;
  authorityHost?: string;
  env: NodeJS.ProcessEnv;
  mask: Mask;
  now?: () => Date;
}

/** The audience GitHub's OIDC token must carry for an Entra federated credential (azure/login's default). */
const GITHUB_AUDIENCE = 'api://AzureADTokenExchange';

/**
 * A Microsoft Entra token for Azure Monitor's managed Prometheus, with
 * `@azure/identity`:
 * - in a job with `id-token: write` (what azure/login's OIDC login needs), a
 *   ClientAssertionCredential whose assertion is a fresh GitHub OIDC token
 *   for `api://AzureADTokenExchange`: the same federated credential azure/login
 *   uses, but a new assertion for every Entra token, so a rollout longer than
 *   the first token (or than the GitHub token's few minutes) keeps working;
 * - with AZURE_FEDERATED_TOKEN_FILE (AKS workload identity on a self-hosted
 *   runner), WorkloadIdentityCredential;
 * - otherwise the Azure CLI session azure/login left (AzureCliCredential).
 * Scope `<audience>/.default`: Azure Monitor workspaces accept tokens for
 * https://prometheus.monitor.azure.com (learn.microsoft.com, "Query
 * Prometheus metrics using the API and PromQL").
 */
export class AzureAuth implements RequestAuth {
  readonly credential: string;
  readonly expects: string;
  private readonly tokens: TokenCache;

  constructor(options: AzureAuthOptions) {
    const env = options.env;
    const tenantId = options.tenantId ?? env.AZURE_TENANT_ID;
    const clientId = options.clientId ?? env.AZURE_CLIENT_ID;
    const authorityHost = options.authorityHost ?? env.AZURE_AUTHORITY_HOST;
    const scope = `${options.audience.replace(/\/$/, '')}/.default`;
    // @azure/identity is loaded when the first token is needed, not when the
    // bundle starts (cold start of actions that never use Azure).
    let make: (sdk: typeof import('@azure/identity')) => TokenCredential;
    const common = authorityHost ? { authorityHost, disableInstanceDiscovery: true } : {};
    if (env.ACTIONS_ID_TOKEN_REQUEST_URL || env.AZURE_FEDERATED_TOKEN_FILE) {
      const missing = [
        !tenantId && ['tenantId', 'AZURE_TENANT_ID'],
        !clientId && ['clientId', 'AZURE_CLIENT_ID'],
      ].filter((m): m is string[] => Boolean(m));
      if (missing.length > 0) {
        throw new ConfigurationError(
          missing.map(([field, variable]) => ({
            field: `spec.source.auth.${field}`,
            message: `is required for the federated (OIDC) login: set it, or ${variable} in the job's env (the same value azure/login gets as ${field === 'tenantId' ? 'tenant-id' : 'client-id'})`,
          })),
        );
      }
    }
    if (env.ACTIONS_ID_TOKEN_REQUEST_URL && tenantId && clientId) {
      this.credential = `the GitHub OIDC token federated to Entra app ${clientId} in tenant ${tenantId}`;
      make = (sdk) =>
        new sdk.ClientAssertionCredential(tenantId, clientId, () => getIDToken(GITHUB_AUDIENCE), common);
    } else if (env.AZURE_FEDERATED_TOKEN_FILE && tenantId && clientId) {
      const tokenFilePath = env.AZURE_FEDERATED_TOKEN_FILE;
      this.credential = `the workload identity token file ${tokenFilePath} for client ${clientId} in tenant ${tenantId}`;
      make = (sdk) => new sdk.WorkloadIdentityCredential({ tenantId, clientId, tokenFilePath, ...common });
    } else {
      this.credential = 'the Azure CLI login (azure/login without id-token: write)';
      make = (sdk) => new sdk.AzureCliCredential(tenantId ? { tenantId } : {});
    }
    this.expects = `a token for ${options.audience}, and the identity needs the Monitoring Data Reader role on the Azure Monitor workspace`;
    // A new credential per token: MSAL caches tokens by its own clock, and a
    // token the server refused must not come back from that cache.
    const now = options.now ?? (() => new Date());
    this.tokens = new TokenCache(
      async () => {
        try {
          const token = await make(await import('@azure/identity')).getToken(scope);
          if (!token) throw new Error('the credential returned no token');
          return { token: token.token, expiresAt: onClock(now, token.expiresOnTimestamp) };
        } catch (e: unknown) {
          throw new CredentialError(
            `could not get a Microsoft Entra token for ${scope} with ${this.credential}: ${firstLine(e)}; check the federated credential's subject and issuer and that azure/login's client-id and tenant-id are the ones set here`,
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

export function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (text.split('\n')[0] ?? '').slice(0, 300);
}
