import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { BinaryRunner } from '../../src/terraform/binary-runner.js';
import { parsePlan } from '../../src/terraform/plan.js';
import { StalePlanError, TerraformCommandError } from '../../src/terraform/runner.js';
import { fakeTerraformBinary } from '../support/fake-terraform/index.js';
import { hasSharedFixtures, sharedFixture } from '../support/shared-fixtures.js';

describe.skipIf(!hasSharedFixtures)('BinaryRunner against the stand-in terraform', () => {
  let dir: string;
  let log: string;
  const runner = (plan: string) =>
    new BinaryRunner({
      binary: fakeTerraformBinary,
      workingDirectory: dir,
      group: false,
      env: { FAKE_TERRAFORM_PLAN: sharedFixture('terraform-plans', plan), FAKE_TERRAFORM_LOG: log },
    });
  const calls = () =>
    readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { args: string[]; env: Record<string, string> });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'glidepath-tf-'));
    log = join(dir, 'calls.ndjson');
    writeFileSync(log, '');
  });

  it('runs init, plan -out, show -json and apply with the automation contract', async () => {
    writeFileSync(join(dir, 'prod.tfvars'), 'x = 1\n');
    const r = runner('opentofu__show-json__basic-delete.json');
    expect((await r.version()).version).toBe('1.9.8');
    await r.init(['bucket=state', 'key=prod.tfstate']);
    await r.selectWorkspace('prod');
    const outcome = await r.plan({ out: 'tfplan', varFiles: ['prod.tfvars'] });
    expect(outcome.changes).toBe(true);
    const plan = parsePlan(await r.showJson('tfplan'));
    expect(plan.resourceChanges.map((c) => c.kind).sort()).toEqual(['delete', 'update']);
    await r.apply('tfplan');
    const log = calls();
    expect(log.map((c) => c.args[0])).toEqual(['version', 'init', 'workspace', 'plan', 'show', 'apply']);
    expect(log[1]?.args).toEqual([
      'init',
      '-input=false',
      '-no-color',
      '-backend-config=bucket=state',
      '-backend-config=key=prod.tfstate',
    ]);
    expect(log[3]?.args).toContain('-detailed-exitcode');
    for (const c of log) expect(c.env).toMatchObject({ TF_IN_AUTOMATION: '1', TF_INPUT: '0' });
  });

  it('reads -detailed-exitcode 0 as no changes, and a refresh-only plan with drift as changes', async () => {
    const clean = runner('terraform-plan-comment__basic__4-empty.json');
    await clean.init();
    expect((await clean.plan({ out: 'tfplan' })).changes).toBe(false);
    const drift = runner('opentofu__equivalence-tests__drift_refresh_only.json');
    expect((await drift.plan({ out: 'tfplan', refreshOnly: true })).changes).toBe(true);
    expect(calls().at(-1)?.args).toContain('-refresh-only');
  });

  it('turns exit code 1 into an error carrying terraform’s message', async () => {
    const r = runner('opentofu__show-json__plan-error.json');
    await expect(r.plan({ out: 'tfplan' })).rejects.toThrow(/Backend initialization required/);
    await r.init();
    await expect(r.plan({ out: 'tfplan', varFiles: ['missing.tfvars'] })).rejects.toThrow(
      TerraformCommandError,
    );
  });

  it('refuses a plan made before the state changed, with the reason', async () => {
    const r = runner('opentofu__show-json__basic-delete.json');
    await r.init();
    await r.plan({ out: 'old.tfplan' });
    await r.plan({ out: 'new.tfplan' });
    await r.apply('new.tfplan');
    const stale = r.apply('old.tfplan');
    await expect(stale).rejects.toThrow(StalePlanError);
    await expect(r.apply('old.tfplan')).rejects.toThrow(/state changed after this plan was made/);
  });

  it('says clearly when the binary is missing', async () => {
    const r = new BinaryRunner({
      binary: 'terraform-that-is-not-installed',
      workingDirectory: dir,
      group: false,
    });
    await expect(r.version()).rejects.toThrow(
      /terraform-that-is-not-installed was not found on PATH: install it first/,
    );
  });
});
