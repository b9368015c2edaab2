import { z } from 'zod';
import { durationText } from './duration.js';

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name such as PROMETHEUS_TOKEN');

/**
 * Where metrics come from. Secrets are never written in the file: a source
 * names the environment variable that holds them.
 */
export const prometheusSourceSchema = z.strictObject({
  provider: z.literal('prometheus'),
  address: z.url({
    protocol: /^https?$/,
    error: 'must be an http(s) URL such as https://prometheus.example:9090',
  }),
  headers: z.record(z.string(), z.string()).optional(),
  tokenEnv: envName.optional(),
  basicAuth: z.strictObject({ usernameEnv: envName, passwordEnv: envName }).optional(),
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

export const sourceSchema = z.discriminatedUnion('provider', [prometheusSourceSchema, scrapeSourceSchema], {
  error: (issue) =>
    issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator'
      ? 'provider must be one of "prometheus", "scrape"'
      : undefined,
});

export type PrometheusSourceConfig = z.infer<typeof prometheusSourceSchema>;
export type ScrapeSourceConfig = z.infer<typeof scrapeSourceSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
