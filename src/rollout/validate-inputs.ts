import { readFileSync } from 'node:fs';
import { clusterRequirementProblems } from '../config/cluster-requirements.js';
import { ConfigurationError, problemCollector } from '../config/errors.js';
import { loadRolloutFile, type RolloutSpec } from '../config/load-rollout.js';
import { createMetricsSource } from '../metrics/registry.js';
import { checkImageReference, readRolloutManifest } from './manifest.js';

/**
 * The canary action's checks that need no cluster and no metrics server: the
 * rollout config (schema, queries, the action's requirements), the manifest's
 * Deployment against the official schema, the image reference and the
 * source's settings. Every problem at once; nothing is contacted.
 */
export async function validateRolloutOffline(inputs: {
  config: string;
  manifest: string;
  image: string;
  env?: Record<string, string | undefined>;
}): Promise<RolloutSpec> {
  const { problems, collect } = problemCollector();
  const spec = collect(() => loadRolloutFile(inputs.config));
  let manifestText: string | undefined;
  try {
    manifestText = readFileSync(inputs.manifest, 'utf8');
  } catch {
    problems.push({
      field: 'manifest',
      message: `cannot read "${inputs.manifest}": give the path of the rendered Deployment manifest`,
    });
  }
  if (spec && manifestText !== undefined) {
    // The same manifest checks as a real run (container choice, the rollout's namespace), so that
    // validate-only never passes what the rollout then refuses.
    collect(() =>
      readRolloutManifest(
        manifestText as string,
        inputs.manifest,
        spec.service,
        spec.config.container,
        spec.namespace,
      ),
    );
  }
  const imageProblem = checkImageReference(inputs.image);
  if (imageProblem) problems.push(imageProblem);
  if (spec) problems.push(...clusterRequirementProblems(spec.config, { file: spec.file }));
  if (spec?.source) {
    // Building the source checks its settings (token variables, CA file); it sends nothing.
    const metrics = collect(() =>
      createMetricsSource(spec.source as NonNullable<RolloutSpec['source']>, { env: inputs.env }),
    );
    await metrics?.close?.();
  }
  if (problems.length > 0 || !spec) throw new ConfigurationError(problems);
  return spec;
}
