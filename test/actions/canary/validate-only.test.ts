import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { run } from '../../../src/actions/canary/main.js';
import { NEW_IMAGE, rolloutConfig, writeRolloutFiles } from '../../rollout/kube-fixture.js';
import { parseFileCommand } from '../../support/action-runner.js';
import { repoRoot } from '../../support/shared-fixtures.js';

const action = parse(readFileSync(join(repoRoot, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>;
};

// The canary action with validate-only: true checks everything it can without a cluster.
describe('canary action, validate-only', () => {
  let work: string;
  let output: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'glidepath-validate-only-'));
    output = join(work, 'output');
    writeFileSync(output, '');
    vi.stubEnv('GITHUB_OUTPUT', output);
    for (const [name, spec] of Object.entries(action.inputs)) {
      vi.stubEnv(`INPUT_${name.toUpperCase()}`, spec.default?.startsWith('${{') ? '' : (spec.default ?? ''));
    }
    vi.stubEnv('INPUT_VALIDATE-ONLY', 'true');
    // No cluster: a kubeconfig that does not exist would fail any attempt to reach one.
    vi.stubEnv('INPUT_KUBECONFIG', join(work, 'no-such-kubeconfig'));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    process.exitCode = undefined;
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    process.exitCode = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  it('says valid for a good config, manifest and image, contacting nothing', async () => {
    const files = writeRolloutFiles('shop', rolloutConfig('istio', 'shop'));
    vi.stubEnv('INPUT_CONFIG', files.configPath);
    vi.stubEnv('INPUT_MANIFEST', files.manifestPath);
    vi.stubEnv('INPUT_IMAGE', NEW_IMAGE);
    await run();
    expect(process.exitCode).toBeUndefined();
    expect(parseFileCommand(readFileSync(output, 'utf8'))).toMatchObject({
      outcome: 'valid',
      'final-weight': '0',
    });
  });

  it('fails with every problem at once: no source, a tag instead of a digest, a missing manifest', async () => {
    const config = rolloutConfig('istio', 'shop');
    const files = writeRolloutFiles('shop', { ...config, analysis: { preset: 'demo' } });
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    vi.stubEnv('INPUT_CONFIG', files.configPath);
    vi.stubEnv('INPUT_MANIFEST', join(work, 'absent.yaml'));
    vi.stubEnv('INPUT_IMAGE', 'registry.example/payments:latest');
    await run();
    expect(process.exitCode).toBe(1);
    const log = lines.join('');
    expect(log).toMatch(/::error .*::analysis\.source: is required/);
    expect(log).toMatch(/::error .*::manifest: cannot read/);
    expect(log).toMatch(/::error .*digest/);
  });
});
