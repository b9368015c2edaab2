import * as core from '@actions/core';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../../config/duration.js';
import { ConfigurationError } from '../../config/errors.js';
import { type CloudAuthConfig, cloudAuthSchema } from '../../config/source.js';
import { parseListInput } from '../list-input.js';
import { parseMapInput } from '../map-input.js';

export type FailOn = 'fail' | 'warn' | 'never';

export interface SloGateInputs {
  slos: string[];
  prometheusUrl?: string;
  prometheusToken?: string;
  prometheusHeaders: Record<string, string>;
  /** A cloud's own auth for prometheus-url (SigV4, Entra, Google, IBM IAM). */
  prometheusAuth?: CloudAuthConfig;
  window: string;
  vars: Record<string, string>;
  failOn: FailOn;
}

/** The one place that reads the slo-gate action's inputs. */
export function getInputs(): SloGateInputs {
  const slos = parseListInput(core.getInput('slos', { required: true }));
  if (slos.length === 0) {
    throw new ConfigurationError([
      { field: 'slos', message: 'names no file: give paths or globs of Gate / OpenSLO files' },
    ]);
  }
  const prometheusUrl = core.getInput('prometheus-url') || undefined;
  if (prometheusUrl && !/^https?:\/\/[^\s]+$/.test(prometheusUrl)) {
    throw new ConfigurationError([
      {
        field: 'prometheus-url',
        message: `must be an http(s) URL such as https://prometheus.example:9090 (got "${prometheusUrl}")`,
      },
    ]);
  }
  const prometheusToken = core.getInput('prometheus-token') || undefined;
  if (prometheusToken) core.setSecret(prometheusToken);
  const prometheusHeaders = parseMapInput(core.getInput('prometheus-headers'), 'prometheus-headers');
  // Header values often carry tenant keys or credentials: mask them all.
  for (const value of Object.values(prometheusHeaders)) if (value) core.setSecret(value);

  const prometheusAuth = parseAuthInput(core.getInput('prometheus-auth'));
  if (prometheusAuth && !prometheusUrl) {
    throw new ConfigurationError([
      {
        field: 'prometheus-auth',
        message:
          'applies to prometheus-url, which is not set: set prometheus-url, or put auth under spec.source in the Gate file',
      },
    ]);
  }
  if (prometheusAuth && prometheusToken) {
    throw new ConfigurationError([
      { field: 'prometheus-auth', message: 'brings its own credentials: drop prometheus-token' },
    ]);
  }

  const window = core.getInput('window') || '5m';
  if (parseDuration(window) === undefined) {
    throw new ConfigurationError([
      { field: 'window', message: `must be a duration such as 5m or 1h (got "${window}")` },
    ]);
  }
  const failOn = core.getInput('fail-on') || 'fail';
  if (failOn !== 'fail' && failOn !== 'warn' && failOn !== 'never') {
    throw new ConfigurationError([
      { field: 'fail-on', message: `must be fail, warn or never (got "${failOn}")` },
    ]);
  }
  return {
    slos,
    prometheusUrl,
    prometheusToken,
    prometheusHeaders,
    prometheusAuth,
    window,
    vars: parseMapInput(core.getInput('vars'), 'vars'),
    failOn,
  };
}

/**
 * `prometheus-auth` is a type name (`sigv4`, `azure`, `google`, `ibm`) or a
 * YAML map of the same fields as a Gate file's `spec.source.auth`, e.g.
 * `{type: ibm, instanceId: 0c8c3bb9-...}`.
 */
function parseAuthInput(text: string): CloudAuthConfig | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  let value: unknown;
  try {
    value = /^[a-z0-9]+$/.test(trimmed) ? { type: trimmed } : parseYaml(trimmed);
  } catch (e: unknown) {
    throw new ConfigurationError([
      { field: 'prometheus-auth', message: `is not a YAML map: ${(e as Error).message.split('\n')[0]}` },
    ]);
  }
  const parsed = cloudAuthSchema.safeParse(value);
  if (!parsed.success) {
    throw new ConfigurationError(
      parsed.error.issues.map((issue) => ({
        field: ['prometheus-auth', ...issue.path.map(String)].join('.'),
        message: issue.message,
      })),
    );
  }
  return parsed.data;
}
