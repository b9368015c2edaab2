import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import * as core from '@actions/core';
import { failStep } from '../../github/annotations.js';
import { syncTrackingIssue } from '../../github/issues.js';
import { createOctokit, type GitHubClient } from '../../github/octokit.js';
import { backendConfigSecrets } from '../../terraform/backend-config.js';
import { BinaryRunner } from '../../terraform/binary-runner.js';
import { driftReport } from '../../terraform/drift.js';
import { destroyGuard } from '../../terraform/guard.js';
import { installTool } from '../../terraform/install.js';
import { parsePlan } from '../../terraform/plan.js';
import { encryptPlan } from '../../terraform/plan-crypt.js';
import { formatPlanRecord, sha256 } from '../../terraform/plan-hash.js';
import { GITHUB_SUMMARY_BYTES, type RenderResult, renderPlan } from '../../terraform/render.js';
import { StalePlanError, type TerraformRunner } from '../../terraform/runner.js';
import { pullRequestForCommit, readRunContext } from './context.js';
import { getInputs, type TerraformInputs } from './inputs.js';
import { postPlanComment } from './plan-comment.js';
import {
  type ArtifactDownloader,
  ENCRYPTED_SUFFIX,
  fetchReviewedPlan,
  fetchRunPlan,
} from './reviewed-plan.js';

/** Seams a test can replace; the defaults are the real binary, GitHub and the artifact service. */
export interface Dependencies {
  runner?: (inputs: TerraformInputs, cwd: string) => TerraformRunner;
  octokit?: (token: string) => GitHubClient;
  uploadArtifact?: (name: string, files: string[], root: string) => Promise<void>;
  downloadArtifact?: ArtifactDownloader;
}

/**
 * A step's summary may hold 1 MiB of bytes (not characters: a plan with
 * non-ASCII text is larger in bytes); keep some room for what else the step
 * writes. (docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#adding-a-job-summary)
 */
const SUMMARY_LIMIT = {
  maxBytes: GITHUB_SUMMARY_BYTES - 16 * 1024,
  limitName: "GitHub's 1 MiB job-summary limit",
};

function key(inputs: TerraformInputs): string {
  return `terraform ${inputs.workingDirectory} ${inputs.workspace}`;
}

function title(inputs: TerraformInputs): string {
  return `${inputs.tool === 'tofu' ? 'OpenTofu' : 'Terraform'} plan: \`${inputs.workingDirectory}\` (workspace \`${inputs.workspace}\`)`;
}

function setPlanOutputs(result: RenderResult, planFile: string): void {
  core.setOutput('changes', String(result.changes));
  core.setOutput('add', String(result.counts.add));
  core.setOutput('change', String(result.counts.change));
  core.setOutput('destroy', String(result.counts.destroy));
  core.setOutput('replace', String(result.counts.replace));
  core.setOutput('plan-file', planFile);
  core.setOutput('summary', result.verdict);
}

function artifactName(inputs: TerraformInputs): string {
  return `terraform-plan-${`${inputs.workingDirectory}-${inputs.workspace}`.replace(/[^A-Za-z0-9_.-]+/g, '_')}`;
}

async function defaultUpload(name: string, files: string[], root: string): Promise<void> {
  if (!process.env.ACTIONS_RUNTIME_TOKEN) {
    core.warning(
      `not running on GitHub Actions (no ACTIONS_RUNTIME_TOKEN): the artifact ${name} was not uploaded`,
    );
    return;
  }
  const client = new DefaultArtifactClient();
  // A re-run of the job uploads into the same run, where names must be unique.
  await client.deleteArtifact(name).catch(() => undefined);
  await client.uploadArtifact(name, files, root, { retentionDays: 30 });
}

function defaultDownload(token: string, repo: { owner: string; repo: string }): ArtifactDownloader {
  return async (artifact, destination) => {
    await new DefaultArtifactClient().downloadArtifact(artifact.artifactId, {
      path: destination,
      findBy: {
        token,
        workflowRunId: artifact.runId,
        repositoryOwner: repo.owner,
        repositoryName: repo.repo,
      },
    });
  };
}

async function prepare(inputs: TerraformInputs, cwd: string, deps: Dependencies): Promise<TerraformRunner> {
  let binary: string = inputs.tool;
  if (inputs.install) {
    const installed = await core.group(`Install ${inputs.tool}`, () =>
      installTool({
        tool: inputs.tool,
        version: inputs.version,
        workingDirectory: cwd,
        ...(inputs.releasesUrl ? { releasesUrl: inputs.releasesUrl } : {}),
        ...(inputs.releasesPublicKey ? { publicKey: inputs.releasesPublicKey } : {}),
      }),
    );
    binary = installed.binary;
  }
  const runner = deps.runner?.(inputs, cwd) ?? new BinaryRunner({ binary, workingDirectory: cwd });
  await runner.init(inputs.backendConfig);
  if (inputs.workspace !== 'default') await runner.selectWorkspace(inputs.workspace);
  return runner;
}

async function plan(inputs: TerraformInputs, cwd: string, deps: Dependencies): Promise<void> {
  const runner = await prepare(inputs, cwd, deps);
  const planPath = resolve(cwd, inputs.planFile);
  await runner.plan({ out: planPath, varFiles: inputs.varFiles });
  const parsed = parsePlan(await runner.showJson(planPath), `show -json ${inputs.planFile}`);
  const context = readRunContext();
  const planBytes = await readFile(planPath);
  const record = {
    sha256: sha256(planBytes),
    commit: context.pullRequest?.headSha ?? context.sha,
  };
  const artifact = artifactName(inputs);

  const fullPath = join(dirname(planPath), `${basename(planPath)}.md`);
  // The artifact holds the whole text, never cut; the summary is cut to its limit and points there.
  await writeFile(fullPath, renderPlan(parsed, { title: title(inputs), maxChars: Infinity }).markdown);
  const full = renderPlan(parsed, {
    title: title(inputs),
    ...SUMMARY_LIMIT,
    fullTextHint: inputs.planEncryptionKey
      ? `The full plan is \`${basename(fullPath)}\` in the artifact \`${artifact}\`.`
      : 'The full plan is in the job log (`terraform show`); set plan-encryption-key to keep it as an artifact.',
  });
  await core.summary.addRaw(full.markdown).write();
  setPlanOutputs(full, planPath);
  if (inputs.planEncryptionKey) {
    // The plan file holds sensitive values in clear: only its encrypted form leaves the runner.
    const encryptedPath = `${planPath}${ENCRYPTED_SUFFIX}`;
    await writeFile(encryptedPath, await encryptPlan(planBytes, inputs.planEncryptionKey));
    await core.group('Upload the plan artifact', () =>
      (deps.uploadArtifact ?? defaultUpload)(artifact, [encryptedPath, fullPath], dirname(planPath)),
    );
  } else {
    core.warning(
      'plan-encryption-key is not set: the saved plan (which holds sensitive values in clear) is not uploaded, so it cannot be applied later. Give the plan and apply jobs the same secret as plan-encryption-key.',
    );
  }

  if (context.pullRequest && inputs.githubToken) {
    await postPlanComment((deps.octokit ?? createOctokit)(inputs.githubToken), {
      repo: context.repo,
      pullRequest: context.pullRequest.number,
      key: key(inputs),
      plan: parsed,
      title: title(inputs),
      record: formatPlanRecord(record),
      footer: `Plan SHA-256 \`${record.sha256.slice(0, 16)}…\` for ${record.commit.slice(0, 12)} · artifact \`${artifact}\`${context.runUrl ? ` · [run](${context.runUrl})` : ''}. Merging applies exactly this plan.`,
      fullTextHint: `The full plan is in the job summary and in the artifact \`${artifact}\` (\`${basename(fullPath)}\`).`,
    });
  }
  const guard = destroyGuard(parsed, inputs.allowDestroy);
  if (!guard.allowed) throw new Error(`Destroy guard: ${guard.message}`);
}

async function apply(inputs: TerraformInputs, cwd: string, deps: Dependencies): Promise<void> {
  if (!inputs.githubToken)
    throw new Error('apply needs github-token to read the reviewed plan recorded on the pull request');
  const context = readRunContext();
  const octokit = (deps.octokit ?? createOctokit)(inputs.githubToken);
  const planPath = resolve(cwd, inputs.planFile);
  if (!context.runId)
    throw new Error('GITHUB_RUN_ID is not set: apply must run in a GitHub Actions workflow run');
  const download = deps.downloadArtifact ?? defaultDownload(inputs.githubToken, context.repo);
  let plain: Uint8Array;
  let what: string;
  if (context.eventName === 'workflow_dispatch') {
    // An upgrade: plan and apply are jobs of this run, the approval is the environment's.
    plain = await fetchRunPlan(
      octokit,
      {
        repo: context.repo,
        runId: context.runId,
        artifactName: artifactName(inputs),
        planFileName: basename(planPath),
        encryptionKey: inputs.planEncryptionKey,
      },
      download,
    );
    what = `the upgrade plan approved in run ${context.runId}`;
  } else {
    const pr = await pullRequestForCommit(octokit, context);
    if (!pr)
      throw new Error(
        `refusing to apply: commit ${context.sha.slice(0, 12)} belongs to no pull request, so no plan was reviewed`,
      );
    plain = await fetchReviewedPlan(
      octokit,
      {
        repo: context.repo,
        pullRequest: pr,
        key: key(inputs),
        artifactName: artifactName(inputs),
        planFileName: basename(planPath),
        ownRunId: context.runId,
        encryptionKey: inputs.planEncryptionKey,
      },
      download,
    );
    what = `the reviewed plan of #${pr.number}`;
  }
  await writeFile(planPath, plain, { mode: 0o600 });

  const runner = await prepare(inputs, cwd, deps);
  const parsed = parsePlan(await runner.showJson(planPath), `show -json ${inputs.planFile}`);
  const guard = destroyGuard(parsed, inputs.allowDestroy);
  if (!guard.allowed) throw new Error(`Destroy guard: ${guard.message}`);
  const result = renderPlan(parsed, { title: title(inputs), ...SUMMARY_LIMIT });
  try {
    await runner.apply(planPath);
  } catch (e: unknown) {
    if (e instanceof StalePlanError) throw new Error(`refusing to apply ${what}: ${e.message}`);
    throw e;
  }
  setPlanOutputs(result, planPath);
  await core.summary.addRaw(`Applied ${what}.\n\n${result.markdown}`).write();
}

async function drift(inputs: TerraformInputs, cwd: string, deps: Dependencies): Promise<void> {
  const runner = await prepare(inputs, cwd, deps);
  const planPath = resolve(cwd, inputs.planFile);
  await runner.plan({ out: planPath, varFiles: inputs.varFiles, refreshOnly: true });
  const parsed = parsePlan(await runner.showJson(planPath), `show -json ${inputs.planFile}`);
  const context = readRunContext();
  const report = driftReport(
    parsed,
    { directory: inputs.workingDirectory, workspace: inputs.workspace },
    context.runUrl,
  );
  const result = renderPlan(parsed, {
    title: `Drift: \`${inputs.workingDirectory}\` (workspace \`${inputs.workspace}\`)`,
    ...SUMMARY_LIMIT,
    refreshOnly: true,
  });
  setPlanOutputs({ ...result, changes: report.drifted }, planPath);
  await core.summary.addRaw(result.markdown).write();
  if (inputs.githubToken) {
    const octokit = (deps.octokit ?? createOctokit)(inputs.githubToken);
    const issue = await syncTrackingIssue(octokit, context.repo, {
      key: key(inputs),
      title: report.title,
      body: report.body,
      closingComment: `No drift found${context.runUrl ? ` by [this run](${context.runUrl})` : ''}: closing.`,
    });
    if (issue.action !== 'none') core.info(`Drift issue #${issue.number} ${issue.action}`);
  }
}

export async function run(deps: Dependencies = {}): Promise<void> {
  try {
    const inputs = getInputs();
    const workspaceRoot = process.env.GITHUB_WORKSPACE ?? process.cwd();
    const cwd = isAbsolute(inputs.workingDirectory)
      ? inputs.workingDirectory
      : resolve(workspaceRoot, inputs.workingDirectory);
    // Before anything logs: init echoes its -backend-config arguments, and errors quote them.
    for (const secret of await backendConfigSecrets(inputs.backendConfig, cwd)) core.setSecret(secret);
    switch (inputs.command) {
      case 'install':
        await prepareInstallOnly(inputs, cwd);
        break;
      case 'validate': {
        const runner = await prepare(inputs, cwd, deps);
        await runner.validate();
        break;
      }
      case 'plan':
        await plan(inputs, cwd, deps);
        break;
      case 'apply':
        await apply(inputs, cwd, deps);
        break;
      case 'drift':
        await drift(inputs, cwd, deps);
        break;
    }
  } catch (e: unknown) {
    failStep(e);
  }
}

async function prepareInstallOnly(inputs: TerraformInputs, cwd: string): Promise<void> {
  const installed = await installTool({
    tool: inputs.tool,
    version: inputs.version,
    workingDirectory: cwd,
    ...(inputs.releasesUrl ? { releasesUrl: inputs.releasesUrl } : {}),
    ...(inputs.releasesPublicKey ? { publicKey: inputs.releasesPublicKey } : {}),
  });
  core.info(
    `${installed.tool} ${installed.version} ${installed.fromCache ? 'from the tool cache' : 'installed'} at ${installed.dir}`,
  );
}
