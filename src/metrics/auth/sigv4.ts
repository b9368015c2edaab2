import type { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { ConfigurationError } from '../../config/errors.js';
import type { OutgoingRequest, Refusal, RequestAuth } from './request-auth.js';

export interface SigV4Options {
  /** The signing name: `aps` for Amazon Managed Service for Prometheus, `monitoring` for CloudWatch. */
  service: string;
  region?: string;
  /** The address the requests go to; AMP's holds the region (aps-workspaces.<region>.amazonaws.com). */
  address: string;
  /** Where a missing region would be set, for the error. */
  regionField: string;
  env: NodeJS.ProcessEnv;
  now?: () => Date;
  /** For tests; by default the AWS SDK's standard chain. */
  credentials?: AwsCredentialIdentityProvider;
}

/** How far the local clock may drift before AWS refuses a signature: 5 minutes (SigV4 docs, "Signature expired"). */
const MAX_SKEW_MS = 5 * 60_000;

/**
 * Signs requests with AWS Signature Version 4, using the AWS SDK's own signer
 * (`@smithy/signature-v4`) and its default credential chain
 * (`@aws-sdk/credential-provider-node`): the environment variables that
 * aws-actions/configure-aws-credentials exports (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), SSO, a web identity token file
 * (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), shared config/credentials
 * profiles (AWS_PROFILE), then container and instance metadata. The chain
 * memoizes credentials and gets new ones before temporary ones expire.
 * The SDK reads the process environment itself.
 */
export class SigV4Auth implements RequestAuth {
  readonly credential: string;
  readonly expects: string;
  readonly region: string;
  private signer?: Promise<SignatureV4>;
  private readonly makeSigner: () => Promise<SignatureV4>;
  private readonly now: () => Date;
  /** Server time minus local time, learnt from a refusal's Date header, as the AWS SDKs do (systemClockOffset). */
  private clockOffsetMs = 0;

  constructor(options: SigV4Options) {
    const env = options.env;
    const region =
      options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? regionInAddress(options.address);
    if (!region) {
      throw new ConfigurationError([
        {
          field: options.regionField,
          message:
            'no AWS region: set it here, or AWS_REGION in the job (aws-actions/configure-aws-credentials sets it from its aws-region input)',
        },
      ]);
    }
    this.region = region;
    this.now = options.now ?? (() => new Date());
    this.credential = describeAwsCredential(env);
    this.expects =
      options.service === 'aps'
        ? `the IAM identity needs aps:QueryMetrics (and aps:GetLabels, aps:GetSeries, aps:GetMetricMetadata) on the workspace, e.g. the AmazonPrometheusQueryAccess policy, in ${region}`
        : `the IAM identity needs cloudwatch:GetMetricData in ${region}`;
    // The AWS SDK's signer and credential chain are loaded with the first
    // request, not at bundle start (cold start of actions that never sign).
    this.makeSigner = async () => {
      const [{ SignatureV4 }, { Hash }, credentials] = await Promise.all([
        import('@smithy/signature-v4'),
        import('@smithy/hash-node'),
        options.credentials ??
          import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider()),
      ]);
      return new SignatureV4({
        service: options.service,
        region,
        credentials,
        sha256: Hash.bind(null, 'sha256'),
        uriEscapePath: true,
        applyChecksum: true,
      });
    };
  }

  async authorize(request: OutgoingRequest): Promise<Record<string, string>> {
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of request.url.searchParams) {
      const before = query[key];
      query[key] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
    }
    const headers: Record<string, string> = { ...request.headers, host: request.url.host };
    this.signer ??= this.makeSigner();
    const signer = await this.signer;
    let signed: { headers: Record<string, string> };
    try {
      signed = await signer.sign(
        {
          method: request.method,
          protocol: request.url.protocol,
          hostname: request.url.hostname,
          port: request.url.port ? Number(request.url.port) : undefined,
          path: request.url.pathname,
          query,
          headers,
          body: request.body,
        },
        { signingDate: new Date(this.now().getTime() + this.clockOffsetMs) },
      );
    } catch (e: unknown) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new ConfigurationError(
        `no AWS credentials for SigV4 (${this.credential}): ${reason.split('\n')[0]}; log in first with aws-actions/configure-aws-credentials (role-to-assume + id-token: write) or actions/cluster-login`,
      );
    }
    // Only what the signer added: the caller keeps its own headers.
    const added: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) {
      if (name.toLowerCase() === 'host') continue;
      if (request.headers[name] === undefined) added[name] = value;
    }
    return added;
  }

  refused(refusal: Refusal): boolean {
    const serverDate = Date.parse(refusal.headers.get('date') ?? '');
    if (Number.isNaN(serverDate)) return false;
    const local = this.now().getTime() + this.clockOffsetMs;
    if (Math.abs(serverDate - local) <= MAX_SKEW_MS) return false;
    this.clockOffsetMs = serverDate - this.now().getTime();
    return true;
  }
}

function regionInAddress(address: string): string | undefined {
  const host = URL.canParse(address) ? new URL(address).hostname : '';
  return /^(?:aps-workspaces|monitoring)\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com$/.exec(host)?.[1];
}

/** Which link of the chain will answer, from the same variables the SDK reads, for messages. */
export function describeAwsCredential(env: NodeJS.ProcessEnv): string {
  const keyId = env.AWS_ACCESS_KEY_ID;
  if (keyId && env.AWS_SECRET_ACCESS_KEY) {
    const temporary = env.AWS_SESSION_TOKEN ? 'temporary ' : '';
    return `AWS ${temporary}credentials from the environment (access key …${keyId.slice(-4)})`;
  }
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN)
    return `AWS web identity for role ${env.AWS_ROLE_ARN}`;
  if (env.AWS_PROFILE) return `AWS profile ${JSON.stringify(env.AWS_PROFILE)}`;
  return 'AWS credentials from the default chain (shared files, container or instance metadata)';
}
