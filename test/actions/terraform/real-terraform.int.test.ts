import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../../support/fake-github.js';
import { FakeSsm } from '../../support/fake-ssm.js';
import { type BundleRun, bundleEntries, runBundle } from '../../support/run-bundle.js';
import { repoRoot } from '../../support/shared-fixtures.js';
import {
  copyModule,
  hasMirroredProvider,
  pluginMirror,
  skipNotice,
  terraform,
  terraformAsync,
  terraformBinary,
  terraformCounts,
  terraformEnv,
  terraformTool,
} from '../../support/terraform-binary.js';

// The bundled terraform action (the file the runner runs) with the real
// binary, on root modules of the tests' own (test/fixtures/terraform): a plan
// on the pull request, review, then the apply of exactly that plan after the
// merge, as platform-provision.yml runs them.
const entry = bundleEntries().find((e) => e.action === 'terraform' && e.stage === 'main')!;
const SECRET = 'hunter2-glidepath-9f3b7c';
const HEAD = 'b7'.repeat(20);
const MERGE = 'c8'.repeat(20);
// The secret both jobs share: the plan leaves the runner only encrypted with it.
const PLAN_KEY = 'plan-key-5c1e0a77d2';
const WORKFLOW = { workflowId: 4242, path: '.github/workflows/platform-provision.yml' };
const notice = skipNotice('the real-Terraform tests of the terraform action');

describe.skipIf(notice !== undefined)(`terraform action bundle with the real ${terraformTool}`, () => {
  let fake: FakeGitHub;
  let workspace: string;
  let module: string;
  let pr: number;
  const tfEnv = terraformEnv();
  const runs: BundleRun[] = [];

  beforeAll(async () => {
    fake = await FakeGitHub.start();
    workspace = mkdtempSync(join(tmpdir(), 'glidepath-real-tf-'));
    module = join(workspace, 'infra');
    copyModule('network/v1', module);
    writeFileSync(join(module, 'prod.tfvars'), `cidr = "10.20.0.0/16"\ndb_password = "${SECRET}"\n`);
    pr = fake.addPullRequest('acme', 'platform', { headSha: HEAD, mergeCommitSha: MERGE });
  });
  afterAll(async () => {
    await fake?.stop();
  });

  function event(name: 'pull_request' | 'push'): Record<string, string> {
    // Each step is a job of its own workflow run, as GitHub records it; apply checks the plan artifact's run.
    const run = fake.addWorkflowRun({
      ...WORKFLOW,
      event: name,
      headSha: name === 'pull_request' ? HEAD : MERGE,
      headBranch: name === 'pull_request' ? 'feature' : 'main',
      repository: 'acme/platform',
    });
    const file = join(workspace, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify(
        name === 'pull_request'
          ? { pull_request: { number: pr, head: { sha: HEAD } } }
          : { ref: 'refs/heads/main' },
      ),
    );
    return {
      ...tfEnv,
      GITHUB_EVENT_NAME: name,
      GITHUB_EVENT_PATH: file,
      GITHUB_SHA: name === 'pull_request' ? 'd9'.repeat(20) : MERGE,
      GITHUB_API_URL: fake.url,
      GITHUB_RUN_ID: String(run),
    };
  }

  /**
   * Outside GitHub Actions there is no artifact service (no
   * ACTIONS_RUNTIME_TOKEN), so the action warns and leaves the files it would
   * upload; this stores exactly those under the plan's run, as the service
   * does. Apply then downloads them through GitHub's REST API (fake-github).
   */
  function uploadAsTheServiceWould(run: BundleRun, env: Record<string, string>): void {
    const name = 'terraform-plan-infra-default';
    expect(run.stdout).toContain(`the artifact ${name} was not uploaded`);
    const files = Object.fromEntries(
      ['tfplan.pgp', 'tfplan.md'].map((f) => [f, readFileSync(join(module, f))] as const),
    );
    fake.addArtifact(name, Number(env.GITHUB_RUN_ID), files);
  }

  async function step(command: string, on: 'pull_request' | 'push', inputs: Record<string, string> = {}) {
    const env = event(on);
    const run = await runBundle(entry, {
      workspace,
      env,
      inputs: {
        command,
        'working-directory': 'infra',
        install: 'false',
        tool: terraformTool as string,
        'var-file': 'prod.tfvars',
        'github-token': fake.token,
        'plan-encryption-key': PLAN_KEY,
        ...inputs,
      },
    });
    runs.push(run);
    if (command === 'plan' && (inputs['working-directory'] ?? 'infra') === 'infra')
      uploadAsTheServiceWould(run, env);
    return run;
  }

  const showJson = (file: string) => terraform(module, tfEnv, 'show', '-json', file);
  const comment = () => fake.repoComments('acme', 'platform').find((c) => c.issue_number === pr)?.body ?? '';
  const errors = (run: BundleRun) =>
    run.annotations
      .filter((a) => a.level === 'error')
      .map((a) => a.message)
      .join('\n');

  it('validate: passes a valid module and annotates Terraform’s own error for a broken one', async () => {
    const ok = await step('validate', 'pull_request');
    expect(ok.exitCode, ok.stdout).toBe(0);

    const broken = join(workspace, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'main.tf'), 'output "x" {\n  value = var.missing\n}\n');
    const bad = await step('validate', 'pull_request', { 'working-directory': 'broken' });
    expect(bad.exitCode).toBe(1);
    expect(errors(bad)).toContain('Reference to undeclared input variable');
  });

  it('plan with adds only: outputs and summary match Terraform’s own counts; the comment records the plan', async () => {
    const run = await step('plan', 'pull_request');
    expect(run.exitCode, run.stdout).toBe(0);
    const planFile = join(module, 'tfplan');
    expect(run.outputs['plan-file']).toBe(planFile);
    const own = terraformCounts(showJson(planFile));
    expect(own).toEqual({ add: 4, change: 0, destroy: 0, replace: 0, move: 0 });
    expect(run.outputs).toMatchObject({
      changes: 'true',
      add: String(own.add),
      change: '0',
      destroy: '0',
      replace: '0',
      summary: `+${own.add} ~0 -0 ±0`,
    });
    expect(run.summary).toContain('terraform_data.subnet[1]');
    const hash = (await import('node:crypto'))
      .createHash('sha256')
      .update(readFileSync(planFile))
      .digest('hex');
    expect(comment()).toContain(`sha256=${hash}`);
    expect(comment()).toContain('terraform_data.db');
  });

  it('apply on the merge commit: applies the reviewed plan, and the state is what the plan said', async () => {
    const planned = JSON.parse(showJson(join(module, 'tfplan'))) as {
      planned_values: { outputs: Record<string, { value?: unknown }>; root_module: { resources: Res[] } };
    };
    const run = await step('apply', 'push');
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.summary).toContain(`Applied the reviewed plan of #${pr}`);
    const state = JSON.parse(terraform(module, tfEnv, 'show', '-json')) as {
      values: { outputs: Record<string, { value: unknown }>; root_module: { resources: Res[] } };
    };
    const inputs = (resources: Res[]) =>
      Object.fromEntries(resources.map((r) => [r.address, (r.values as { input?: unknown }).input]));
    expect(inputs(state.values.root_module.resources)).toEqual(
      inputs(planned.planned_values.root_module.resources),
    );
    expect(state.values.outputs.vpc?.value).toBe('10.20.0.0/16');
  });

  it('a plan that replaces and deletes fails without allow-destroy, naming each resource; passes with it', async () => {
    copyFileSync(join(repoRoot, 'test/fixtures/terraform/network/v2/main.tf'), join(module, 'main.tf'));
    const refused = await step('plan', 'pull_request');
    expect(refused.exitCode).toBe(1);
    const own = terraformCounts(showJson(join(module, 'tfplan')));
    expect(own).toEqual({ add: 0, change: 0, destroy: 1, replace: 1, move: 1 });
    expect(refused.outputs).toMatchObject({ destroy: '1', replace: '1', summary: '+0 ~0 -1 ±1' });
    expect(errors(refused)).toContain('terraform_data.vpc');
    expect(errors(refused)).toContain('terraform_data.subnet[1]');
    expect(errors(refused)).not.toContain('terraform_data.database');

    const allowed = await step('plan', 'pull_request', { 'allow-destroy': 'true' });
    expect(allowed.exitCode, allowed.stdout).toBe(0);
    expect(allowed.outputs).toMatchObject({ destroy: '1', replace: '1' });
  });

  it('a reviewed plan gone stale because the state moved on is refused, saying why', async () => {
    // The plan of the previous test is the reviewed one; someone applies another change first.
    const before = readFileSync(join(module, 'terraform.tfstate'), 'utf8');
    terraform(
      module,
      tfEnv,
      'apply',
      '-input=false',
      '-no-color',
      '-auto-approve',
      '-var-file=prod.tfvars',
      '-var=cidr=10.30.0.0/16',
    );
    const moved = readFileSync(join(module, 'terraform.tfstate'), 'utf8');
    expect(moved).not.toBe(before);

    const run = await step('apply', 'push', { 'allow-destroy': 'true' });
    expect(run.exitCode).toBe(1);
    expect(errors(run)).toMatch(
      /refusing to apply the reviewed plan of #\d+: the state changed after this plan was made/,
    );
    expect(errors(run)).toContain('plan again');
    expect(readFileSync(join(module, 'terraform.tfstate'), 'utf8')).toBe(moved);
  });

  it('never shows the sensitive value: not in summaries, the comment, logs, annotations or the Markdown file', () => {
    expect(runs.length).toBeGreaterThan(5);
    for (const run of runs) {
      for (const text of [
        run.stdout,
        run.stderr,
        run.summary,
        JSON.stringify(run.annotations),
        JSON.stringify(run.outputs),
      ])
        expect(text).not.toContain(SECRET);
    }
    expect(comment()).not.toContain(SECRET);
    expect(readFileSync(join(module, 'tfplan.md'), 'utf8')).not.toContain(SECRET);
    // The saved plan itself does hold it: that is why the artifact must be protected.
    expect(showJson(join(module, 'tfplan'))).toContain(SECRET);
  });

  it.skipIf(!hasMirroredProvider('hashicorp/aws'))(
    `validate with the AWS provider from the local plugin directory (${pluginMirror ?? 'none'}), no download`,
    async () => {
      copyModule('aws', join(workspace, 'aws'));
      const run = await step('validate', 'pull_request', { 'working-directory': 'aws', 'var-file': '' });
      expect(run.exitCode, run.stdout).toBe(0);
      expect(run.stdout).toContain('hashicorp/aws v5.');
    },
    180_000,
  );
});

describe.skipIf(notice !== undefined || !hasMirroredProvider('hashicorp/aws'))(
  'terraform action bundle: drift with the real AWS provider against a local SSM stand-in',
  () => {
    let github: FakeGitHub;
    let ssm: FakeSsm;
    const tfEnv = terraformEnv();

    beforeAll(async () => {
      github = await FakeGitHub.start();
      ssm = await FakeSsm.start();
    });
    afterAll(async () => {
      await ssm?.stop();
      await github?.stop();
    });

    it('finds a parameter edited outside Terraform, counts it as Terraform does, and opens one issue', async () => {
      const workspace = mkdtempSync(join(tmpdir(), 'glidepath-real-drift-'));
      const module = copyModule('aws-drift', join(workspace, 'ssm'));
      writeFileSync(join(module, 'endpoint.tfvars'), `ssm_endpoint = "${ssm.url}"\n`);
      await terraformAsync(module, tfEnv, 'init', '-input=false', '-no-color');
      await terraformAsync(
        module,
        tfEnv,
        'apply',
        '-input=false',
        '-no-color',
        '-auto-approve',
        '-var-file=endpoint.tfvars',
      );
      expect(ssm.parameters.get('/glidepath/environment')?.Value).toBe('production');
      ssm.editOutside('/glidepath/environment', 'staging-edited-by-hand');

      const run = await runBundle(entry, {
        workspace,
        env: { ...tfEnv, GITHUB_API_URL: github.url, GITHUB_EVENT_NAME: 'schedule' },
        inputs: {
          command: 'drift',
          'working-directory': 'ssm',
          install: 'false',
          tool: terraformTool as string,
          'var-file': 'endpoint.tfvars',
          'github-token': github.token,
        },
        timeoutMs: 170_000,
      });
      expect(run.exitCode, run.stdout).toBe(0);
      expect(run.outputs.changes).toBe('true');
      const own = JSON.parse(await terraformAsync(module, tfEnv, 'show', '-json', 'tfplan')) as {
        resource_drift?: { address: string }[];
      };
      expect((own.resource_drift ?? []).map((d) => d.address)).toEqual(['aws_ssm_parameter.environment']);
      expect(run.summary).toContain('aws_ssm_parameter.environment');
      const issues = github.repoIssues('acme', 'platform');
      expect(issues).toHaveLength(1);
      expect(issues[0]?.title).toContain('drift in ssm');
      expect(issues[0]?.body).toContain('aws_ssm_parameter.environment');
      // The provider marks `value` sensitive: neither the old nor the new value is shown.
      for (const text of [run.stdout, run.summary, issues[0]?.body ?? '', JSON.stringify(run.annotations)]) {
        expect(text).not.toContain('staging-edited-by-hand');
        expect(text).not.toContain('production');
      }
    }, 180_000);
  },
);

interface Res {
  address: string;
  values: Record<string, unknown>;
}

if (!terraformBinary) describe('terraform action bundle with a real binary', () => it.skip(notice ?? ''));
