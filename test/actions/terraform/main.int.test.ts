import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../../src/actions/terraform/main.js';
import { createOctokit } from '../../../src/github/octokit.js';
import { formatPlanRecord, readPlanRecord, sha256 } from '../../../src/terraform/plan-hash.js';
import { parseFileCommand } from '../../support/action-runner.js';
import { FakeGitHub } from '../../support/fake-github.js';
import { fakeTerraformDir } from '../../support/fake-terraform/index.js';
import { sensitiveValues } from '../../support/sensitive-values.js';
import { hasSharedFixtures, sharedFixture } from '../../support/shared-fixtures.js';

const HEAD = 'a1'.repeat(20);
const KEY = 'correct horse battery staple';
const WORKFLOW = { workflowId: 4242, path: '.github/workflows/infra.yml' };

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
    let planRun: number;

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
      // Every test is its own pull request on the same head commit: artifacts start empty.
      fake.artifacts.clear();
      planRun = fake.addWorkflowRun({
        ...WORKFLOW,
        event: 'pull_request',
        headSha: HEAD,
        repository: 'acme/platform',
      });
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
        'INPUT_PLAN-ENCRYPTION-KEY': KEY,
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
      vi.stubEnv('GITHUB_RUN_ID', String(planRun));
    }

    function onPushToMain(): void {
      const event = join(work, 'push.json');
      writeFileSync(event, JSON.stringify({ ref: 'refs/heads/main' }));
      vi.stubEnv('GITHUB_EVENT_NAME', 'push');
      vi.stubEnv('GITHUB_EVENT_PATH', event);
      vi.stubEnv('GITHUB_SHA', merge);
      const run = fake.addWorkflowRun({
        ...WORKFLOW,
        event: 'push',
        headSha: merge,
        headBranch: 'main',
        repository: 'acme/platform',
      });
      vi.stubEnv('GITHUB_RUN_ID', String(run));
    }

    async function step(command: string, fixture: string, extra: Record<string, string> = {}) {
      writeFileSync(join(work, 'output'), '');
      writeFileSync(summaryFile, '');
      vi.stubEnv('INPUT_COMMAND', command);
      vi.stubEnv('FAKE_TERRAFORM_PLAN', sharedFixture('terraform-plans', fixture));
      for (const [k, v] of Object.entries(extra)) vi.stubEnv(k, v);
      process.exitCode = 0;
      await run({
        // What the artifact service does with an upload: kept under the run that uploaded it.
        uploadArtifact: async (name, files) => {
          uploads.push({ name, files });
          const runId = Number(process.env.GITHUB_RUN_ID);
          fake.addArtifact(name, runId, Object.fromEntries(files.map((f) => [basename(f), readFileSync(f)])));
        },
        downloadArtifact: async (artifact, destination) => {
          const stored = [...fake.artifacts.values()].flat().find((a) => a.id === artifact.artifactId);
          for (const [file, bytes] of Object.entries(stored?.files ?? {}))
            writeFileSync(join(destination, file), bytes);
        },
      });
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
      expect(uploads).toEqual([
        {
          name: 'terraform-plan-infra_prod-default',
          files: [join(module, 'tfplan.pgp'), join(module, 'tfplan.md')],
        },
      ]);
      // The uploaded plan is encrypted: the plan's bytes are not in it.
      const encrypted = readFileSync(join(module, 'tfplan.pgp'));
      expect(encrypted.includes(readFileSync(join(module, 'tfplan')).subarray(0, 64))).toBe(false);

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

    it('warns, naming pull-requests: write, when the token may not comment (a fork), and still plans', async () => {
      fake.addToken('read-only-token', { login: 'github-actions[bot]', readOnly: true });
      onPullRequest();
      const result = await step('plan', 'opentofu__show-json__basic-create.json', {
        'INPUT_GITHUB-TOKEN': 'read-only-token',
      });
      expect(result.failed).toBe(false);
      expect(result.outputs.summary).toBe('+3 ~0 -0 ±0');
      expect(stdout).toMatch(
        /::warning::could not post the plan comment on pull request #\d+: GitHub answered 403 .*`permissions: pull-requests: write`/,
      );
      expect(prComments()).toHaveLength(0);
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

    it('refuses an artifact whose bytes are not the reviewed plan', async () => {
      onPullRequest();
      await step('plan', 'opentofu__show-json__basic-create.json');
      const artifact = fake.artifacts.get('acme/platform')?.at(-1);
      if (!artifact) throw new Error('no artifact');
      const { encryptPlan } = await import('../../../src/terraform/plan-crypt.js');
      artifact.files['tfplan.pgp'] = Buffer.from(
        await encryptPlan(Buffer.from(`${readFileSync(join(module, 'tfplan'), 'utf8')} `), KEY),
      );
      onPushToMain();
      const refused = await step('apply', 'opentofu__show-json__basic-create.json');
      expect(refused.failed).toBe(true);
      expect(stdout).toMatch(
        /refusing to apply the plan of pull request #\d+: the plan file's SHA-256 [0-9a-f]{12}… differs from the reviewed plan's/,
      );
      expect(stdout).not.toContain('Apply complete!');
    });

    describe('attacks on the reviewed plan are refused', () => {
      const artifacts = () => fake.artifacts.get('acme/platform') ?? [];
      /** Moves the plan job's artifact to another run, as an attacker's upload of the very same bytes. */
      function reupload(from: Parameters<FakeGitHub['addWorkflowRun']>[0]): void {
        const legit = artifacts().at(-1);
        if (!legit) throw new Error('no artifact');
        fake.artifacts.set(
          'acme/platform',
          artifacts().filter((a) => a !== legit),
        );
        fake.addArtifact(legit.name, fake.addWorkflowRun(from), legit.files);
      }

      it('a same-name artifact from a fork’s pull_request run', async () => {
        onPullRequest();
        await step('plan', 'opentofu__show-json__basic-create.json');
        reupload({
          ...WORKFLOW,
          event: 'pull_request',
          headSha: HEAD,
          repository: 'acme/platform',
          headRepository: 'mallory/platform',
        });
        onPushToMain();
        const refused = await step('apply', 'opentofu__show-json__basic-create.json');
        expect(refused.failed).toBe(true);
        expect(stdout).toMatch(/comes from a run of another repository \(a fork's pull request\)/);
        expect(stdout).not.toContain('Apply complete!');
      });

      it('a same-name artifact from another workflow of the repository', async () => {
        onPullRequest();
        await step('plan', 'opentofu__show-json__basic-create.json');
        reupload({
          workflowId: 99,
          path: '.github/workflows/anything.yml',
          event: 'pull_request',
          headSha: HEAD,
          repository: 'acme/platform',
        });
        onPushToMain();
        const refused = await step('apply', 'opentofu__show-json__basic-create.json');
        expect(refused.failed).toBe(true);
        expect(stdout).toMatch(
          /was uploaded by another workflow \(\.github\/workflows\/anything\.yml\), not \.github\/workflows\/infra\.yml/,
        );
        expect(stdout).not.toContain('Apply complete!');
      });

      it('a same-name artifact of this workflow from another event (a push, a dispatch)', async () => {
        onPullRequest();
        await step('plan', 'opentofu__show-json__basic-create.json');
        reupload({ ...WORKFLOW, event: 'workflow_dispatch', headSha: HEAD, repository: 'acme/platform' });
        onPushToMain();
        expect((await step('apply', 'opentofu__show-json__basic-create.json')).failed).toBe(true);
        expect(stdout).toMatch(
          /comes from a workflow_dispatch run, not the pull request's own pull_request run/,
        );
      });

      it('a plan comment planted by another user (with a valid-looking record)', async () => {
        onPullRequest();
        await step('plan', 'opentofu__show-json__basic-create.json');
        const mine = prComments()[0];
        if (!mine) throw new Error('no comment');
        const record = readPlanRecord(mine.body);
        expect(record).toBeDefined();
        // Mallory posts the same marker and a record of her own through the API, and the
        // plan job's comment is gone (deleted, or never posted on a fork).
        fake.addToken('mallory-token', { login: 'mallory' });
        fake.comments.set(
          'acme/platform',
          fake.repoComments('acme', 'platform').filter((c) => c !== mine),
        );
        await createOctokit('mallory-token', fake.url).rest.issues.createComment({
          owner: 'acme',
          repo: 'platform',
          issue_number: pr,
          body: mine.body,
        });
        expect(prComments()[0]?.user?.login).toBe('mallory');
        onPushToMain();
        const refused = await step('apply', 'opentofu__show-json__basic-create.json');
        expect(refused.failed).toBe(true);
        expect(stdout).toMatch(
          /no reviewed plan was recorded by github-actions\[bot\] \(comments by anyone else are not believed\)/,
        );
        expect(stdout).not.toContain('Apply complete!');
      });

      it('a planted comment ahead of the real one does not hide it, and is never edited', async () => {
        onPullRequest();
        fake.addToken('mallory-token', { login: 'mallory' });
        const planted = `<!-- glidepath:sticky terraform infra/prod default -->\nLooks fine\n${formatPlanRecord({ sha256: sha256('evil'), commit: HEAD })}`;
        await createOctokit('mallory-token', fake.url).rest.issues.createComment({
          owner: 'acme',
          repo: 'platform',
          issue_number: pr,
          body: planted,
        });
        await step('plan', 'opentofu__show-json__basic-create.json');
        expect(prComments()).toHaveLength(2);
        expect(prComments()[0]?.body).toBe(planted);
        onPushToMain();
        expect((await step('apply', 'opentofu__show-json__basic-create.json')).failed).toBe(false);
        expect(stdout).toContain('Apply complete!');
        expect(fake.rejections).toEqual([]);
      });

      it('a record planted inside the plan text is neither believed nor left looking like one', async () => {
        const evil = formatPlanRecord({ sha256: sha256('evil plan'), commit: HEAD });
        const doc = JSON.parse(
          readFileSync(sharedFixture('terraform-plans', 'opentofu__show-json__basic-create.json'), 'utf8'),
        );
        doc.resource_changes[0].change.after.ami = `x\n${evil}`;
        const fixture = join(work, 'planted.json');
        writeFileSync(fixture, JSON.stringify(doc));
        onPullRequest();
        await step('plan', 'opentofu__show-json__basic-create.json', { FAKE_TERRAFORM_PLAN: fixture });
        const body = prComments()[0]?.body ?? '';
        expect(body).toContain('glidepath:plan sha256=');
        expect(body.split('<!-- glidepath:plan').length - 1).toBe(1);
        expect(readPlanRecord(body)?.sha256).toBe(sha256(readFileSync(join(module, 'tfplan'))));
        // The attacker's bytes, encrypted and in the right artifact, still do not pass.
        const { encryptPlan } = await import('../../../src/terraform/plan-crypt.js');
        const artifact = artifacts().at(-1);
        if (!artifact) throw new Error('no artifact');
        artifact.files['tfplan.pgp'] = Buffer.from(await encryptPlan(Buffer.from('evil plan'), KEY));
        onPushToMain();
        const refused = await step('apply', 'opentofu__show-json__basic-create.json', {
          FAKE_TERRAFORM_PLAN: fixture,
        });
        expect(refused.failed).toBe(true);
        expect(stdout).toMatch(/differs from the reviewed plan's/);
      });

      it('an artifact encrypted with another key', async () => {
        onPullRequest();
        await step('plan', 'opentofu__show-json__basic-create.json');
        onPushToMain();
        const refused = await step('apply', 'opentofu__show-json__basic-create.json', {
          'INPUT_PLAN-ENCRYPTION-KEY': 'another key',
        });
        expect(refused.failed).toBe(true);
        expect(stdout).toMatch(/cannot be decrypted with the plan-encryption-key secret/);
      });
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
        /refusing to apply the reviewed plan of #\d+: the state changed after this plan was made/,
      );
    });

    it('applies an upgrade: the plan job’s artifact of this same run, and no other run’s', async () => {
      const dispatch = fake.addWorkflowRun({
        ...WORKFLOW,
        event: 'workflow_dispatch',
        headSha: merge,
        headBranch: 'main',
        repository: 'acme/platform',
      });
      vi.stubEnv('GITHUB_EVENT_NAME', 'workflow_dispatch');
      vi.stubEnv('GITHUB_SHA', merge);
      vi.stubEnv('GITHUB_RUN_ID', String(dispatch));
      const planned = await step('plan', 'opentofu__show-json__basic-create.json');
      expect(planned.failed).toBe(false);
      expect(prComments()).toHaveLength(0);
      const applied = await step('apply', 'opentofu__show-json__basic-create.json');
      expect(applied.failed).toBe(false);
      expect(applied.summary).toContain(`Applied the upgrade plan approved in run ${dispatch}`);

      // Another run (another dispatch, anyone's) has no plan of its own: refused.
      const other = fake.addWorkflowRun({
        ...WORKFLOW,
        event: 'workflow_dispatch',
        headSha: merge,
        repository: 'acme/platform',
      });
      vi.stubEnv('GITHUB_RUN_ID', String(other));
      const refused = await step('apply', 'opentofu__show-json__basic-create.json');
      expect(refused.failed).toBe(true);
      expect(stdout).toMatch(
        new RegExp(`run ${other} has no artifact named terraform-plan-infra_prod-default`),
      );
      expect(fake.rejections).toEqual([]);
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
      expect(stdout).toMatch(/^::error[^:\n]*::tofu was not found on PATH: install it first/m);
      // One annotation: the message is not annotated a second time by setFailed.
      expect(stdout.match(/^::error.*tofu was not found on PATH/gm)).toHaveLength(1);
    });
  },
);
