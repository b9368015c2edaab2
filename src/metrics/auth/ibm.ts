import { ConfigurationError } from '../../config/errors.js';
import { firstLine } from './azure.js';
import type { Mask, OutgoingRequest, Refusal, RequestAuth } from './request-auth.js';
import { CredentialError } from './request-auth.js';
import { jwtExpiry, TokenCache } from './token-cache.js';

export interface IbmAuthOptions {
  apiKeyEnv: string;
  instanceId: string;
  iamUrl?: string;
  env: NodeJS.ProcessEnv;
  mask: Mask;
  now?: () => Date;
}

/**
 * IBM Cloud Monitoring's Prometheus API: an IAM access token for an API key
 * (ibm-cloud-sdk-core's IamTokenManager: grant type
 * urn:ibm:params:oauth:grant-type:apikey at <iam>/identity/token), sent as a
 * bearer token with the `IBMInstanceID` header naming the instance
 * (cloud.ibm.com/docs/monitoring, "Querying metrics by using the Prometheus
 * HTTP API"). IAM tokens live an hour; a new one is fetched before expiry.
 */
export class IbmAuth implements RequestAuth {
  readonly credential: string;
  readonly expects: string;
  private readonly tokens: TokenCache;
  private readonly instanceId: string;

  constructor(options: IbmAuthOptions) {
    const apikey = options.env[options.apiKeyEnv];
    if (!apikey) {
      throw new ConfigurationError([
        {
          field: 'spec.source.auth.apiKeyEnv',
          message: `the environment variable ${options.apiKeyEnv} is not set; pass the API key secret through env: in the workflow, e.g. ${options.apiKeyEnv}: \${{ secrets.IBM_CLOUD_API_KEY }}`,
        },
      ]);
    }
    options.mask(apikey);
    this.instanceId = options.instanceId;
    this.credential = `the IBM Cloud API key in ${options.apiKeyEnv}`;
    this.expects = `the API key's identity needs the Reader service role on the IBM Cloud Monitoring instance ${options.instanceId}`;
    const now = options.now ?? (() => new Date());
    this.tokens = new TokenCache(
      async () => {
        try {
          // Loaded with the first token, not at bundle start.
          const { IamTokenManager } = await import('ibm-cloud-sdk-core');
          const manager = new IamTokenManager({ apikey, ...(options.iamUrl ? { url: options.iamUrl } : {}) });
          const token = await manager.getToken();
          return { token, expiresAt: jwtExpiry(token) ?? new Date(now().getTime() + 20 * 60_000) };
        } catch (e: unknown) {
          const message = firstLine(e).split(apikey).join('***');
          throw new CredentialError(
            `could not exchange ${this.credential} for an IAM token: ${message}; check that the key exists and is not disabled (ibmcloud iam api-keys)`,
          );
        }
      },
      now,
      options.mask,
    );
  }

  async authorize(_request: OutgoingRequest): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.tokens.get()}`, IBMInstanceID: this.instanceId };
  }

  refused(refusal: Refusal): boolean {
    if (refusal.status !== 401) return false;
    this.tokens.drop();
    return true;
  }
}
