import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../../src/actions/terraform/main.js';
import { parseFileCommand } from '../../support/action-runner.js';
import { FakeGitHub } from '../../support/fake-github.js';
import { fakeTerraformDir } from '../../support/fake-terraform/index.js';
import { sensitiveValues } from '../../support/sensitive-values.js';
import { hasSharedFixtures, sharedFixture } from '../../support/shared-fixtures.js';

const HEAD = 'a1'.repeat(20);

describe.skipIf(!hasSharedFixtures)(
  'terraform action: plan on the pull request, apply the reviewed plan, drift',
  () => {
    let fake: FakeGitHub;
    let work: string;
    let module: string;
    let pr: number;
    let uploads: { name: string; files: string[] }[];
    let stdout: string;
    let merge: string;
    let summaryFile: string;
    let counter = 0;

    beforeAll(async () => {
      fake = await FakeGitHub.start();
      // @actions/core remembers the summary file of its first write: one file for every test.
      summaryFile = join(mkdtempSync(join(tmpdir(), 'glidepath-summary-')), 'summary');
      writeFileSync(summaryFile, '');
    });
    afterAll(async () => {
      await fake.stop();
    });

    beforeEach(() => {
      work = mkdtempSync(join(tmpdir(), 'glidepath-tf-action-'));
      module = join(work, 'infra', 'prod');
      mkdirSync(module, { recursive: true });
      writeFileSync(join(work, 'output'), '');
      counter++;
      merge = `${String(counter).padStart(2, '0')}`.repeat(20);
      pr = fake.addPullRequest('acme', 'platform', { headSha: HEAD, mergeCommitSha: merge });
      uploads = [];
      stdout = '';
      const write = process.stdout.write.bind(process.stdout);
      vi.spyOn(process.stdout, 'write').mockImplementation(
        (chunk: string | Uint8Array, ...rest: unknown[]) => {
          stdout += String(chunk);
          return write(chunk as string, ...(rest as []));
        },
      );
      const env: Record<string, string> = {
        PATH: `${fakeTerraformDir}:${process.env.PATH}`,
        GITHUB_REPOSITORY: 'acme/platform',
        GITHUB_WORKSPACE: work,
        GITHUB_OUTPUT: join(work, 'output'),
        GITHUB_STEP_SUMMARY: summaryFile,
        GITHUB_API_URL: fake.url,
        GITHUB_RUN_ID: '77',
        'INPUT_WORKING-DIRECTORY': 'infra/prod',
        INPUT_TOOL: 'terraform',
        INPUT_INSTALL: 'false',
        'INPUT_ALLOW-DESTROY': 'false',
        'INPUT_GITHUB-TOKEN': fake.token,
        'INPUT_PLAN-FILE': 'tfplan',
        INPUT_WORKSPACE: 'default',
        'INPUT_BACKEND-CONFIG': 'bucket=state\nkey=prod.tfstate',
      };
      for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    });
    afterEach(() => {
      vi.unstubAllEnvs();
      vi.restoreAllMocks();
      process.exitCode = 0;
    });

    function onPullRequest(): void {
      const event = join(work, 'event.json');
      writeFileSync(event, JSON.stringify({ pull_request: { number: pr, head: { sha: HEAD } } }));
      vi.stubEnv('GITHUB_EVENT_NAME', 'pull_request');
      vi.stubEnv('GITHUB_EVENT_PATH', event);
      vi.stubEnv('GITHUB_SHA', 'c3'.repeat(20));
    }

    function onPushToMain(): void {
      const event = join(work, 'push.json');
      writeFileSync(event, JSON.stringify({ ref: 'refs/heads/main' }));
      vi.stubEnv('GITHUB_EVENT_NAME', 'push');
      vi.stubEnv('GITHUB_EVENT_PATH', event);
      vi.stubEnv('GITHUB_SHA', merge);
    }

    async function step(command: string, fixture: string, extra: Record<string, string> = {}) {
      writeFileSync(join(work, 'output'), '');
      writeFileSync(summaryFile, '');
      vi.stubEnv('INPUT_COMMAND', command);
      vi.stubEnv('FAKE_TERRAFORM_PLAN', sharedFixture('terraform-plans', fixture));
      for (const [k, v] of Object.entries(extra)) vi.stubEnv(k, v);
      process.exitCode = 0;
      await run({ uploadArtifact: async (name, files) => void uploads.push({ name, files }) });
      const failed = process.exitCode === 1;
      process.exitCode = 0;
      return {
        failed,
        outputs: parseFileCommand(readFileSync(join(work, 'output'), 'utf8')),
        summary: readFileSync(summaryFile, 'utf8'),
      };
    }

    const prComments = () => fake.repoComments('acme', 'platform').filter((c) => c.issue_number === pr);

    it('plans on the pull request: one sticky comment recording the plan hash, updated on re-plan, artifact saved', async () => {
      onPullRequest();
      const first = await step('plan', 'terraform-plan-comment__basic__1-modify.json', {
        'INPUT_ALLOW-DESTROY': 'true',
      });
      expect(first.failed).toBe(false);
      expect(first.outputs).toMatchObject({
        changes: 'true',
        add: '0',
        change: '0',
        destroy: '0',
        replace: '2',
        summary: '+0 ~0 -0 ±2',
      });
      expect(first.outputs['plan-file']).toBe(join(module, 'tfplan'));
      expect(prComments()).toHaveLength(1);
      const hash = (await import('node:crypto'))
        .createHash('sha256')
        .update(readFileSync(join(module, 'tfplan')))
        .digest('hex');
      expect(prComments()[0]?.body).toContain(`<!-- glidepath:plan sha256=${hash} commit=${HEAD} -->`);
      expect(first.summary).toContain('±2');
      expect(uploads[0]).toEqual({
        name: 'terraform-plan-infra_prod-default',
        files: [join(module, 'tfplan'), join(module, 'tfplan.md')],
      });

      const second = await step('plan', 'opentofu__show-json__basic-create.json');
      expect(second.outputs.summary).toBe('+3 ~0 -0 ±0');
      expect(prComments()).toHaveLength(1);
      expect(prComments()[0]?.body).toContain('+3 ~0 -0 ±0');

      for (const secret of sensitiveValues(
        readFileSync(
          sharedFixture('terraform-plans', 'terraform-plan-comment__basic__1-modify.json'),
          'utf8',
        ),
      )) {
        expect(stdout).not.toContain(secret);
        expect(first.summary).not.toContain(secret);
      }
      expect(fake.rejections).toEqual([]);
    });

    it('fails the step on a destructive plan unless allow-destroy, naming the resources, after commenting', async () => {
      onPullRequest();
      const result = await step('plan', 'opentofu__show-json__basic-delete.json');
      expect(result.failed).toBe(true);
      expect(stdout).toMatch(
        /::error::Destroy guard: the plan deletes or replaces 1 resource\(s\): test_instance\.test-delete \(delete\)\. Set the input allow-destroy: true/,
      );
      expect(prComments()).toHaveLength(1);
    });

    it('applies on main only the plan the comment recorded', async () => {
      onPullRequest();
      expect((await step('plan', 'opentofu__show-json__basic-create.json')).failed).toBe(false);
      onPushToMain();
      const applied = await step('apply', 'opentofu__show-json__basic-create.json');
      expect(applied.failed).toBe(false);
      expect(applied.summary).toContain(`Applied the reviewed plan of #${pr}`);
      expect(stdout).toContain('Apply complete!');
    });

    it('refuses a plan file that is not the reviewed one', async () => {
      onPullRequest();
      await step('plan', 'opentofu__show-json__basic-create.json');
      copyFileSync(join(module, 'tfplan'), join(work, 'reviewed'));
      writeFileSync(join(module, 'tfplan'), `${readFileSync(join(work, 'reviewed'), 'utf8')} `);
      onPushToMain();
      const refused = await step('apply', 'opentofu__show-json__basic-create.json');
      expect(refused.failed).toBe(true);
      expect(stdout).toMatch(
        /refusing to apply the plan of pull request #\d+: the plan file's SHA-256 [0-9a-f]{12}… differs from the reviewed plan's/,
      );
      expect(stdout).not.toContain('Apply complete!');
    });

    it('refuses a plan made for an older commit of the pull request', async () => {
      onPullRequest();
      await step('plan', 'opentofu__show-json__basic-create.json');
      const stored = fake.repoIssues('acme', 'platform').find((i) => i.number === pr);
      if (stored?.pull_request) stored.pull_request.head_sha = 'd4'.repeat(20);
      onPushToMain();
      const refused = await step('apply', 'opentofu__show-json__basic-create.json');
      expect(refused.failed).toBe(true);
      expect(stdout).toMatch(
        new RegExp(
          `the reviewed plan was made for commit ${HEAD.slice(0, 12)}, but the pull request's head is d4d4d4d4d4d4`,
        ),
      );
    });

    it('refuses a plan whose state changed since, with terraform’s reason', async () => {
      onPullRequest();
      await step('plan', 'opentofu__show-json__basic-create.json');
      writeFileSync(join(module, '.terraform', 'fake-state-serial'), '5');
      onPushToMain();
      const refused = await step('apply', 'opentofu__show-json__basic-create.json');
      expect(refused.failed).toBe(true);
      expect(stdout).toMatch(
        /refusing to apply the plan of pull request #\d+: the state changed after this plan was made/,
      );
    });

    it('opens one drift issue, updates it, and closes it when clean', async () => {
      vi.stubEnv('GITHUB_EVENT_NAME', 'schedule');
      vi.stubEnv('GITHUB_SHA', merge);
      const drifted = await step('drift', 'opentofu__equivalence-tests__drift_refresh_only.json');
      expect(drifted.outputs).toMatchObject({ changes: 'true', summary: 'drift only' });
      const open = () =>
        fake.repoIssues('acme', 'platform').filter((i) => !i.pull_request && i.state === 'open');
      expect(open()).toHaveLength(1);
      expect(open()[0]?.body).toContain('Changed outside Terraform');
      await step('drift', 'opentofu__equivalence-tests__drift_refresh_only.json');
      expect(open()).toHaveLength(1);
      const clean = await step('drift', 'terraform-plan-comment__basic__4-empty.json');
      expect(clean.outputs.changes).toBe('false');
      expect(open()).toHaveLength(0);
      expect(fake.rejections).toEqual([]);
    });

    it('reports a missing binary clearly', async () => {
      vi.stubEnv('PATH', '/nonexistent');
      vi.stubEnv('INPUT_TOOL', 'tofu');
      const result = await step('validate', 'terraform-plan-comment__basic__4-empty.json');
      expect(result.failed).toBe(true);
      expect(stdout).toContain('::error::tofu was not found on PATH: install it first');
    });
  },
);
