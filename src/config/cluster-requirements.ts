import type { ConfigProblem } from './errors.js';
import type { RolloutConfig } from './rollout.js';

/** The example source the messages suggest. */
export const SOURCE_EXAMPLE = '{ provider: prometheus, address: https://prometheus.example:9090 }';

/**
 * What the canary action demands of a rollout config beyond its schema, which
 * the playground's configs need not meet: a router that drives a cluster, and
 * a metrics source. The action, `glidepath validate` and `glidepath import`
 * all ask here, so a config one of them accepts is accepted by the others.
 */
export function clusterRequirementProblems(
  config: Pick<RolloutConfig, 'router'> & { analysis?: { source?: unknown } },
  where: { file?: string; line?: (field: Array<string | number>) => number | undefined } = {},
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.router.provider === 'local') {
    problems.push({
      file: where.file,
      line: where.line?.(['router', 'provider']),
      field: 'router.provider',
      message: '"local" is the playground\'s router; in a cluster use istio, gateway-api or smi',
    });
  }
  if (config.router.provider !== 'local' && config.analysis?.source === undefined) {
    problems.push({
      file: where.file,
      line: where.line?.(config.analysis ? ['analysis'] : []),
      field: 'analysis.source',
      message: `is required: where the canary's metrics come from, e.g. ${SOURCE_EXAMPLE}`,
    });
  }
  return problems;
}
