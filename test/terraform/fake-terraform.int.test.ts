import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeTerraformBinary } from '../support/fake-terraform/index.js';
import { hasSharedFixtures, sharedFixture } from '../support/shared-fixtures.js';

/** The stand-in must keep the real binary's contract, or the runner tests prove nothing. */
describe.skipIf(!hasSharedFixtures)('the stand-in terraform binary', () => {
  const tf = (cwd: string, plan: string, ...args: string[]) =>
    spawnSync(fakeTerraformBinary, args, {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, FAKE_TERRAFORM_PLAN: sharedFixture('terraform-plans', plan) },
    });

  it('answers -detailed-exitcode with 0 (no changes), 2 (changes) and 1 (error)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-tf-'));
    expect(tf(dir, 'opentofu__show-json__basic-create.json', 'init', '-input=false').status).toBe(0);
    expect(
      tf(dir, 'terraform-plan-comment__basic__4-empty.json', 'plan', '-detailed-exitcode', '-out=p').status,
    ).toBe(0);
    expect(
      tf(dir, 'opentofu__show-json__basic-create.json', 'plan', '-detailed-exitcode', '-out=p').status,
    ).toBe(2);
    expect(tf(dir, 'opentofu__show-json__basic-create.json', 'plan', '-out=p').status).toBe(0);
    expect(tf(dir, 'opentofu__show-json__plan-error.json', 'plan', '-detailed-exitcode').status).toBe(1);
  });

  it('rejects unknown flags and plan before init like the real binary, and honours -chdir', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-tf-'));
    const before = tf(dir, 'opentofu__show-json__basic-create.json', 'plan');
    expect(before.status).toBe(1);
    expect(before.stderr).toContain('Backend initialization required');
    const bad = tf(dir, 'opentofu__show-json__basic-create.json', 'plan', '-auto-aprove');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('flag provided but not defined: -auto-aprove');
    const parent = join(dir, '..');
    expect(tf(parent, 'opentofu__show-json__basic-create.json', `-chdir=${dir}`, 'init').status).toBe(0);
    const show = tf(dir, 'opentofu__show-json__basic-create.json', 'plan', '-out=p');
    expect(show.status).toBe(0);
    expect(
      JSON.parse(tf(dir, 'opentofu__show-json__basic-create.json', 'show', '-json', 'p').stdout)
        .format_version,
    ).toBe('1.0');
  });
});
