import * as core from '@actions/core';
import { ConfigurationError } from '../../config/errors.js';
import type { Tool } from '../../terraform/releases.js';

export type Command = 'install' | 'plan' | 'apply' | 'drift' | 'validate';

export interface TerraformInputs {
  command: Command;
  workingDirectory: string;
  tool: Tool;
  install: boolean;
  version: string;
  releasesUrl: string;
  releasesPublicKey: string;
  backendConfig: string[];
  varFiles: string[];
  workspace: string;
  allowDestroy: boolean;
  planFile: string;
  githubToken: string;
  /** Passphrase of the plan artifact's OpenPGP encryption; empty: the plan is not uploaded. */
  planEncryptionKey: string;
}

/** Newline- or comma-separated, trimmed, empty entries dropped. */
export function parseList(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigurationError([
    { field: name, message: `expected one of ${allowed.join(', ')}, found "${value}"` },
  ]);
}

export function getInputs(): TerraformInputs {
  const githubToken = core.getInput('github-token');
  if (githubToken) core.setSecret(githubToken);
  // Also read from the environment: a composite action (provision) passes a
  // caller step's `env:` through to its steps without declaring an input.
  const planEncryptionKey =
    core.getInput('plan-encryption-key') || process.env.GLIDEPATH_PLAN_ENCRYPTION_KEY || '';
  if (planEncryptionKey) core.setSecret(planEncryptionKey);
  return {
    command: oneOf('command', core.getInput('command', { required: true }), [
      'install',
      'plan',
      'apply',
      'drift',
      'validate',
    ] as const),
    workingDirectory: core.getInput('working-directory') || '.',
    tool: oneOf('tool', core.getInput('tool') || 'terraform', ['terraform', 'tofu'] as const),
    install: core.getBooleanInput('install'),
    version: core.getInput('version'),
    releasesUrl: core.getInput('releases-url'),
    releasesPublicKey: core.getInput('releases-public-key'),
    backendConfig: parseList(core.getInput('backend-config')),
    varFiles: parseList(core.getInput('var-file')),
    workspace: core.getInput('workspace') || 'default',
    allowDestroy: core.getBooleanInput('allow-destroy'),
    planFile: core.getInput('plan-file') || 'tfplan',
    githubToken,
    planEncryptionKey,
  };
}
