import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stepScript } from '../support/workflow-files.js';

const hasJq = spawnSync('jq', ['--version']).status === 0;

/** Runs a step's script the way the runner does (`bash -e {0}`), in a temp workspace. */
function runStep(script: string, cwd: string, env: Record<string, string>) {
  const file = join(cwd, '.step.sh');
  writeFileSync(file, script);
  const outputs = join(cwd, '.github-output');
  writeFileSync(outputs, '');
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
    cwd,
    env: { PATH: process.env.PATH ?? '', RUNNER_TEMP: cwd, GITHUB_OUTPUT: outputs, ...env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, outputs: readFileSync(outputs, 'utf8') };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'glidepath-step-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasJq)('platform-provision: the upgrade variables step', () => {
  const script = stepScript('.github/workflows/platform-provision.yml', 'plan', 'tfvars');
  const base = { CLUSTER_VERSION: '', MESH_VERSION: '', ADDON_VERSIONS: '', VAR_FILE: '' };

  it('writes only the versions given as Terraform variables and adds the file to var-file', () => {
    const run = runStep(script, dir, {
      ...base,
      CLUSTER_VERSION: '1.33',
      ADDON_VERSIONS: '{"cert-manager": "v1.16.2"}',
      VAR_FILE: 'prod.tfvars',
    });
    expect(run.status).toBe(0);
    const file = join(dir, 'glidepath-upgrade.tfvars.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      cluster_version: '1.33',
      addon_versions: { 'cert-manager': 'v1.16.2' },
    });
    expect(run.outputs).toMatch(new RegExp(`var-files<<(\\S+)\\nprod\\.tfvars\\n${file}\\n\\1\\n`));
  });

  it('leaves var-file alone on an ordinary plan', () => {
    const run = runStep(script, dir, { ...base, VAR_FILE: 'prod.tfvars' });
    expect(run.status).toBe(0);
    expect(run.outputs).toMatch(/var-files<<(\S+)\nprod\.tfvars\n\1\n/);
  });

  it('refuses add-on versions that are not a JSON object, and a version cannot inject shell', () => {
    const bad = runStep(script, dir, { ...base, ADDON_VERSIONS: '["v1"]' });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toContain('addon-versions must be a JSON object');
    const sneaky = runStep(script, dir, { ...base, CLUSTER_VERSION: '1.33"; touch pwned; echo "' });
    expect(sneaky.status).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'glidepath-upgrade.tfvars.json'), 'utf8')).cluster_version).toBe(
      '1.33"; touch pwned; echo "',
    );
    expect(() => readFileSync(join(dir, 'pwned'))).toThrow();
  });
});

describe('service-delivery: resolving the canary target', () => {
  const script = stepScript('.github/workflows/service-delivery.yml', 'staging', 'target');
  const env = {
    SERVICE_PATH: 'services/payments',
    ENVIRONMENT: 'staging',
    CONFIG: 'rollout.{environment}.yml',
    MANIFEST: 'deploy/deployment.yaml',
  };
  const image = `ghcr.io/acme/payments@sha256:${'a'.repeat(64)}`;

  beforeEach(() => {
    mkdirSync(join(dir, 'glidepath-image'));
    mkdirSync(join(dir, 'services/payments/deploy'), { recursive: true });
    writeFileSync(join(dir, 'services/payments/rollout.staging.yml'), 'service: payments\n');
    writeFileSync(join(dir, 'services/payments/deploy/deployment.yaml'), 'kind: Deployment\n');
  });

  it('is the same script in the production job', () => {
    expect(stepScript('.github/workflows/service-delivery.yml', 'production', 'target')).toBe(script);
  });

  it('hands the canary the digest-pinned image and the per-environment config and manifest', () => {
    writeFileSync(join(dir, 'glidepath-image/image'), `${image}\n`);
    const run = runStep(script, dir, env);
    expect(run.status).toBe(0);
    expect(run.outputs).toBe(
      `image=${image}\nconfig=services/payments/rollout.staging.yml\nmanifest=services/payments/deploy/deployment.yaml\n`,
    );
  });

  it('refuses an image without a digest, and names a missing rollout config', () => {
    writeFileSync(join(dir, 'glidepath-image/image'), 'ghcr.io/acme/payments:latest\n');
    const tagOnly = runStep(script, dir, env);
    expect(tagOnly.status).not.toBe(0);
    expect(tagOnly.stdout).toContain('no digest-pinned image');
    writeFileSync(join(dir, 'glidepath-image/image'), `${image}\n`);
    const noConfig = runStep(script, dir, { ...env, ENVIRONMENT: 'production' });
    expect(noConfig.status).not.toBe(0);
    expect(noConfig.stdout).toContain('services/payments/rollout.production.yml not found');
  });
});
