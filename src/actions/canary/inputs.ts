import * as core from '@actions/core';

export interface CanaryInputs {
  config: string;
  image: string;
  manifest: string;
  kubeconfig?: string;
  githubToken?: string;
  environment?: string;
  dryRun: boolean;
  /** Check config, manifest and image offline, with no cluster and no metrics server. */
  validateOnly: boolean;
  resume: boolean;
}

/** The one place that reads the canary action's inputs. */
export function getInputs(): CanaryInputs {
  const githubToken = core.getInput('github-token') || undefined;
  if (githubToken) core.setSecret(githubToken);
  const kubeconfig = core.getInput('kubeconfig') || undefined;
  if (kubeconfig && /\n/.test(kubeconfig)) core.setSecret(kubeconfig);
  return {
    config: core.getInput('config', { required: true }),
    image: core.getInput('image', { required: true }).trim(),
    manifest: core.getInput('manifest', { required: true }),
    kubeconfig,
    githubToken,
    environment: core.getInput('environment') || undefined,
    dryRun: core.getBooleanInput('dry-run'),
    // Absent (an older workflow's runner passes every default, a test may not): false.
    validateOnly: core.getInput('validate-only') !== '' && core.getBooleanInput('validate-only'),
    resume: core.getBooleanInput('resume'),
  };
}
