import * as core from '@actions/core';
import { parseDuration } from '../../config/duration.js';
import { ConfigurationError } from '../../config/errors.js';
import { parseListInput } from '../list-input.js';
import { parseMapInput } from '../map-input.js';

export type FailOn = 'fail' | 'warn' | 'never';

export interface SloGateInputs {
  slos: string[];
  prometheusUrl?: string;
  prometheusToken?: string;
  prometheusHeaders: Record<string, string>;
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
    window,
    vars: parseMapInput(core.getInput('vars'), 'vars'),
    failOn,
  };
}
