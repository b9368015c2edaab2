import { z } from 'zod';
import { durationText } from './duration.js';

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name such as PROMETHEUS_TOKEN');

const httpsUrl = (example: string) =>
  z.url({ protocol: /^https?$/, error: `must be an http(s) URL such as ${example}` });

/**
 * Each cloud's own auth for its managed Prometheus. Credentials come from
 * where the cloud's official login action leaves them in a job, so no key
 * is written here; the fields only say what to ask for.
 */
export const cloudAuthSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      /** Amazon Managed Service for Prometheus: AWS SigV4 with the SDK's credential chain. */
      type: z.literal('sigv4'),
      /** Defaults to AWS_REGION / AWS_DEFAULT_REGION, then the region in the workspace address. */
      region: z
        .string()
        .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as us-east-1')
        .optional(),
      /** The signing name: `aps` for AMP. */
      service: z.string().min(1).default('aps'),
    }),
    z.strictObject({
      /** Azure Monitor managed Prometheus: a Microsoft Entra token. */
      type: z.literal('azure'),
      /** Default AZURE_TENANT_ID. */
      tenantId: z.string().min(1).optional(),
      /** The app registration or managed identity azure/login used; default AZURE_CLIENT_ID. */
      clientId: z.string().min(1).optional(),
      /** Token audience; Azure Monitor workspaces want https://prometheus.monitor.azure.com. */
      audience: httpsUrl('https://prometheus.monitor.azure.com').default(
        'https://prometheus.monitor.azure.com',
      ),
      /** Sovereign clouds; default AZURE_AUTHORITY_HOST, then https://login.microsoftonline.com. */
      authorityHost: httpsUrl('https://login.microsoftonline.us').optional(),
    }),
    z.strictObject({
      /** Google Cloud Managed Service for Prometheus: a Google OAuth access token (ADC). */
      type: z.literal('google'),
      /** Default GOOGLE_APPLICATION_CREDENTIALS, as google-github-actions/auth exports it. */
      credentialsFile: z.string().min(1).optional(),
      scope: z.string().min(1).default('https://www.googleapis.com/auth/monitoring.read'),
    }),
    z.strictObject({
      /** IBM Cloud Monitoring: an IAM token from an API key, plus the instance header. */
      type: z.literal('ibm'),
      /** The environment variable holding the API key (from a secret). */
      apiKeyEnv: envName.default('IBM_CLOUD_API_KEY'),
      /** The GUID of the IBM Cloud Monitoring instance, sent as the IBMInstanceID header. */
      instanceId: z
        .string()
        .regex(
          /^[0-9a-f-]{8,}$/i,
          'must be the instance GUID (ibmcloud resource service-instance <name> --id)',
        ),
      /** IAM endpoint; default https://iam.cloud.ibm.com. */
      iamUrl: httpsUrl('https://iam.cloud.ibm.com').optional(),
    }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator'
        ? 'auth.type must be one of "sigv4", "azure", "google", "ibm"'
        : undefined,
  },
);

/**
 * Where metrics come from. Secrets are never written in the file: a source
 * names the environment variable that holds them.
 */
export const prometheusSourceSchema = z.strictObject({
  provider: z.literal('prometheus'),
  address: httpsUrl('https://prometheus.example:9090'),
  headers: z.record(z.string(), z.string()).optional(),
  tokenEnv: envName.optional(),
  basicAuth: z.strictObject({ usernameEnv: envName, passwordEnv: envName }).optional(),
  auth: cloudAuthSchema.optional(),
  caFile: z.string().min(1).optional(),
  timeout: durationText.optional(),
  retries: z.int().min(0).max(10).optional(),
});

export const scrapeSourceSchema = z.strictObject({
  provider: z.literal('scrape'),
  /** `/metrics` URLs to read; every sample gets the labels of its target. */
  targets: z
    .array(
      z.strictObject({
        url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL of a /metrics endpoint' }),
        labels: z.record(z.string(), z.string()).optional(),
      }),
    )
    .min(1),
  interval: durationText.optional(),
});

/** Amazon CloudWatch `GetMetricData`, signed with the AWS credential chain. */
export const cloudwatchSourceSchema = z.strictObject({
  provider: z.literal('cloudwatch'),
  /** Default AWS_REGION / AWS_DEFAULT_REGION. */
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as us-east-1')
    .optional(),
  /** Default https://monitoring.<region>.amazonaws.com (or AWS_ENDPOINT_URL_CLOUDWATCH). */
  endpoint: httpsUrl('https://monitoring.us-east-1.amazonaws.com').optional(),
  timeout: durationText.optional(),
  retries: z.int().min(0).max(10).optional(),
});

/** Datadog's metrics query API, with API and application keys from secrets. */
export const datadogSourceSchema = z.strictObject({
  provider: z.literal('datadog'),
  /** The Datadog site of the organisation: datadoghq.com, datadoghq.eu, us3.datadoghq.com, ddog-gov.com … */
  site: z
    .string()
    .regex(/^[a-z0-9.-]+\.[a-z]+$/, 'must be a Datadog site such as datadoghq.com or datadoghq.eu')
    .default('datadoghq.com'),
  /** Overrides https://api.<site> (a proxy, or a test server). */
  address: httpsUrl('https://api.datadoghq.com').optional(),
  apiKeyEnv: envName.default('DD_API_KEY'),
  appKeyEnv: envName.default('DD_APP_KEY'),
  timeout: durationText.optional(),
  retries: z.int().min(0).max(10).optional(),
});

export const sourceSchema = z.discriminatedUnion(
  'provider',
  [prometheusSourceSchema, scrapeSourceSchema, cloudwatchSourceSchema, datadogSourceSchema],
  {
    error: (issue) =>
      issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator'
        ? 'provider must be one of "prometheus", "scrape", "cloudwatch", "datadog"'
        : undefined,
  },
);

export type CloudAuthConfig = z.infer<typeof cloudAuthSchema>;
export type PrometheusSourceConfig = z.infer<typeof prometheusSourceSchema>;
export type ScrapeSourceConfig = z.infer<typeof scrapeSourceSchema>;
export type CloudWatchSourceConfig = z.infer<typeof cloudwatchSourceSchema>;
export type DatadogSourceConfig = z.infer<typeof datadogSourceSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
