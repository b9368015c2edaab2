import { parseDuration } from '../config/duration.js';
import { ConfigurationError } from '../config/errors.js';
import type { SourceConfig } from '../config/source.js';
import { PrometheusSource } from './prometheus.js';
import { ScrapeSource } from './scrape.js';
import type { MetricsSource } from './source.js';

export interface SourceSecrets {
  /** A bearer token given directly (e.g. the action's prometheus-token input). */
  bearerToken?: string;
  env?: NodeJS.ProcessEnv;
}

/** Builds the metrics source a config names. An unknown provider is an error, never a fallback. */
export function createMetricsSource(config: SourceConfig, secrets: SourceSecrets = {}): MetricsSource {
  const env = secrets.env ?? process.env;
  switch (config.provider) {
    case 'prometheus': {
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
      const username = fromEnv(config.basicAuth?.usernameEnv, 'spec.source.basicAuth.usernameEnv');
      const password = fromEnv(config.basicAuth?.passwordEnv, 'spec.source.basicAuth.passwordEnv');
      const options = {
        address: config.address,
        bearerToken: secrets.bearerToken ?? fromEnv(config.tokenEnv, 'spec.source.tokenEnv'),
        basicAuth: username !== undefined && password !== undefined ? { username, password } : undefined,
        headers: config.headers,
        caFile: config.caFile,
        env,
        retry: {
          ...(config.timeout ? { timeoutMs: parseDuration(config.timeout) } : {}),
          ...(config.retries !== undefined ? { retries: config.retries } : {}),
        },
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
    default: {
      const unknown: never = config;
      throw new ConfigurationError(
        `unknown metrics provider ${JSON.stringify((unknown as { provider: string }).provider)}`,
      );
    }
  }
}
