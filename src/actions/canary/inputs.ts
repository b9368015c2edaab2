import * as core from '@actions/core';

export interface CanaryInputs {
  config: string;
  image: string;
  manifest: string;
  kubeconfig?: string;
  githubToken?: string;
  environment?: string;
  dryRun: boolean;
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
    resume: core.getBooleanInput('resume'),
  };
}
