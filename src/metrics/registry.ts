import * as core from '@actions/core';
import { parseDuration } from '../config/duration.js';
import { ConfigurationError } from '../config/errors.js';
import type { SourceConfig } from '../config/source.js';
import { createRequestAuth } from './auth/registry.js';
import type { Mask } from './auth/request-auth.js';
import { CloudWatchSource } from './cloudwatch.js';
import { DatadogSource } from './datadog.js';
import { PrometheusSource } from './prometheus.js';
import { ScrapeSource } from './scrape.js';
import type { MetricsSource } from './source.js';

export interface SourceSecrets {
  /** A bearer token given directly (e.g. the action's prometheus-token input). */
  bearerToken?: string;
  env?: NodeJS.ProcessEnv;
  /** Registers tokens and keys with log masking; in a GitHub job by default core.setSecret. */
  mask?: Mask;
  /** The clock tokens are refreshed by (a rollout's simulated clock in tests). */
  now?: () => Date;
}

/** Builds the metrics source a config names. An unknown provider is an error, never a fallback. */
export function createMetricsSource(config: SourceConfig, secrets: SourceSecrets = {}): MetricsSource {
  const env = secrets.env ?? process.env;
  const mask: Mask = secrets.mask ?? (env.GITHUB_ACTIONS === 'true' ? core.setSecret : () => {});
  const fromEnv = (name: string | undefined, field: string): string | undefined => {
    if (!name) return undefined;
    const value = env[name];
    if (!value)
      throw new ConfigurationError([
        {
          field,
          message: `the environment variable ${name} is not set; pass it through env: in the workflow`,
        },
      ]);
    return value;
  };
  const retry = {
    ...(config.provider !== 'scrape' && config.timeout ? { timeoutMs: parseDuration(config.timeout) } : {}),
    ...(config.provider !== 'scrape' && config.retries !== undefined ? { retries: config.retries } : {}),
  };
  switch (config.provider) {
    case 'prometheus': {
      if (config.auth && (config.tokenEnv || config.basicAuth || secrets.bearerToken)) {
        throw new ConfigurationError([
          {
            field: 'spec.source.auth',
            message: `${config.auth.type} auth brings its own credentials: drop ${config.tokenEnv ? 'tokenEnv' : config.basicAuth ? 'basicAuth' : 'the prometheus-token input'}`,
          },
        ]);
      }
      const username = fromEnv(config.basicAuth?.usernameEnv, 'spec.source.basicAuth.usernameEnv');
      const password = fromEnv(config.basicAuth?.passwordEnv, 'spec.source.basicAuth.passwordEnv');
      const options = {
        address: config.address,
        bearerToken: secrets.bearerToken ?? fromEnv(config.tokenEnv, 'spec.source.tokenEnv'),
        basicAuth: username !== undefined && password !== undefined ? { username, password } : undefined,
        headers: config.headers,
        caFile: config.caFile,
        auth: config.auth
          ? createRequestAuth(config.auth, { address: config.address, env, mask, now: secrets.now })
          : undefined,
        env,
        retry,
      };
      try {
        return new PrometheusSource(options);
      } catch (e: unknown) {
        // The source names its own option; here the user wrote it under spec.source.
        if (!(e instanceof ConfigurationError)) throw e;
        throw new ConfigurationError(
          e.problems.map((p) => (p.field === 'caFile' ? { ...p, field: 'spec.source.caFile' } : p)),
        );
      }
    }
    case 'scrape':
      return new ScrapeSource({
        targets: config.targets,
        intervalMs: config.interval ? parseDuration(config.interval) : undefined,
      });
    case 'cloudwatch':
      return new CloudWatchSource({
        region: config.region,
        endpoint: config.endpoint,
        env,
        retry,
        now: secrets.now,
      });
    case 'datadog': {
      const apiKey = fromEnv(config.apiKeyEnv, 'spec.source.apiKeyEnv') as string;
      const appKey = fromEnv(config.appKeyEnv, 'spec.source.appKeyEnv') as string;
      mask(apiKey);
      mask(appKey);
      return new DatadogSource({
        site: config.site,
        address: config.address,
        apiKey,
        appKey,
        env,
        retry,
        now: secrets.now,
      });
    }
    default: {
      const unknown: never = config;
      throw new ConfigurationError(
        `unknown metrics provider ${JSON.stringify((unknown as { provider: string }).provider)}`,
      );
    }
  }
}
