import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeTerraformDir } from '../../support/fake-terraform/index.js';
import { asTheRunnerShowsIt, bundleEntries, runBundle } from '../../support/run-bundle.js';

describe('terraform action: -backend-config values', () => {
  it('are masked in every log line and annotation, from key=value entries and from files', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'glidepath-backend-mask-'));
    mkdirSync(join(workspace, 'infra'));
    writeFileSync(join(workspace, 'infra', 'main.tf'), 'terraform {\n  backend "s3" {}\n}\n');
    writeFileSync(
      join(workspace, 'infra', 'backend.hcl'),
      'bucket     = "acme-state-7f3e"\nsecret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n',
    );
    const secrets = ['AKIAIOSFODNN7EXAMPLE', 'acme-state-7f3e', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'];
    const run = await runBundle(bundleEntries().find((e) => e.action === 'terraform')!, {
      workspace,
      env: { PATH: `${fakeTerraformDir}:${process.env.PATH}` },
      inputs: {
        command: 'validate',
        'working-directory': 'infra',
        install: 'false',
        'backend-config': `access_key=${secrets[0]}\nbackend.hcl`,
      },
    });
    expect(run.exitCode, run.stdout).toBe(0);
    // The unmasked output does hold them (init echoes its arguments): the masks are what hides them.
    expect(run.stdout).toContain(`-backend-config=access_key=${secrets[0]}`);
    const { log, masks } = asTheRunnerShowsIt(run);
    expect(masks).toEqual(expect.arrayContaining(secrets));
    for (const secret of secrets) expect(log).not.toContain(secret);
    expect(log).toContain('-backend-config=access_key=***');
  });
});
