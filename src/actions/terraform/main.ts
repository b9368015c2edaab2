import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import * as core from '@actions/core';
import { failStep } from '../../github/annotations.js';
import { findStickyComment, upsertStickyComment } from '../../github/comments.js';
import { syncTrackingIssue } from '../../github/issues.js';
import { createOctokit, type GitHubClient } from '../../github/octokit.js';
import { backendConfigSecrets } from '../../terraform/backend-config.js';
import { BinaryRunner } from '../../terraform/binary-runner.js';
import { driftReport } from '../../terraform/drift.js';
import { destroyGuard } from '../../terraform/guard.js';
import { installTool } from '../../terraform/install.js';
import { parsePlan } from '../../terraform/plan.js';
import { checkPlanForApply, formatPlanRecord, readPlanRecord, sha256 } from '../../terraform/plan-hash.js';
import { GITHUB_COMMENT_LIMIT, type RenderResult, renderPlan } from '../../terraform/render.js';
import { StalePlanError, type TerraformRunner } from '../../terraform/runner.js';
import { pullRequestForCommit, readRunContext } from './context.js';
import { getInputs, type TerraformInputs } from './inputs.js';

/** Seams a test can replace; the defaults are the real binary, GitHub and the artifact service. */
export interface Dependencies {
  runner?: (inputs: TerraformInputs, cwd: string) => TerraformRunner;
  octokit?: (token: string) => GitHubClient;
  uploadArtifact?: (name: string, files: string[], root: string) => Promise<void>;
}

/** Job summaries hold 1 MiB; keep the full plan well inside. */
const SUMMARY_LIMIT = 900_000;

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

async function defaultUpload(name: string, files: string[], root: string): Promise<void> {
  if (!process.env.ACTIONS_RUNTIME_TOKEN) {
    core.warning(
      `not running on GitHub Actions (no ACTIONS_RUNTIME_TOKEN): the artifact ${name} was not uploaded`,
    );
    return;
  }
  await new DefaultArtifactClient().uploadArtifact(name, files, root, { retentionDays: 30 });
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
  const record = {
    sha256: sha256(await readFile(planPath)),
    commit: context.pullRequest?.headSha ?? context.sha,
  };
  const recordLine = formatPlanRecord(record);
  const artifact = `terraform-plan-${`${inputs.workingDirectory}-${inputs.workspace}`.replace(/[^A-Za-z0-9_.-]+/g, '_')}`;

  const full = renderPlan(parsed, { title: title(inputs), maxChars: SUMMARY_LIMIT });
  const fullPath = join(dirname(planPath), `${basename(planPath)}.md`);
  await writeFile(fullPath, full.markdown);
  await core.summary.addRaw(full.markdown).write();
  setPlanOutputs(full, planPath);
  await core.group('Upload the plan artifact', () =>
    (deps.uploadArtifact ?? defaultUpload)(artifact, [planPath, fullPath], dirname(planPath)),
  );

  if (context.pullRequest && inputs.githubToken) {
    const footer = `\n\n<sub>Plan SHA-256 \`${record.sha256.slice(0, 16)}…\` for ${record.commit.slice(0, 12)} · artifact \`${artifact}\`${context.runUrl ? ` · [run](${context.runUrl})` : ''}. Merging applies exactly this plan.</sub>\n${recordLine}`;
    const comment = renderPlan(parsed, {
      title: title(inputs),
      maxChars: GITHUB_COMMENT_LIMIT - footer.length - 200,
      fullTextHint: `The full plan is in the job summary and in the artifact \`${artifact}\`.`,
    });
    const octokit = (deps.octokit ?? createOctokit)(inputs.githubToken);
    const sticky = await upsertStickyComment(
      octokit,
      context.repo,
      context.pullRequest.number,
      key(inputs),
      `${comment.markdown}${footer}`,
    );
    core.info(`${sticky.created ? 'Created' : 'Updated'} the plan comment ${sticky.htmlUrl}`);
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
  let bytes: Buffer;
  try {
    bytes = await readFile(planPath);
  } catch {
    throw new Error(
      `refusing to apply: the reviewed plan file ${planPath} is missing (download the plan artifact first)`,
    );
  }
  const pr = await pullRequestForCommit(octokit, context);
  if (!pr)
    throw new Error(
      `refusing to apply: commit ${context.sha.slice(0, 12)} belongs to no pull request, so no plan was reviewed`,
    );
  const comment = await findStickyComment(octokit, context.repo, pr.number, key(inputs));
  const check = checkPlanForApply(comment ? readPlanRecord(comment.body) : undefined, {
    sha256: sha256(bytes),
    commit: pr.headSha,
  });
  if (!check.ok) throw new Error(`refusing to apply the plan of pull request #${pr.number}: ${check.reason}`);

  const runner = await prepare(inputs, cwd, deps);
  const parsed = parsePlan(await runner.showJson(planPath), `show -json ${inputs.planFile}`);
  const guard = destroyGuard(parsed, inputs.allowDestroy);
  if (!guard.allowed) throw new Error(`Destroy guard: ${guard.message}`);
  const result = renderPlan(parsed, { title: title(inputs), maxChars: SUMMARY_LIMIT });
  try {
    await runner.apply(planPath);
  } catch (e: unknown) {
    if (e instanceof StalePlanError)
      throw new Error(`refusing to apply the plan of pull request #${pr.number}: ${e.message}`);
    throw e;
  }
  setPlanOutputs(result, planPath);
  await core.summary.addRaw(`Applied the reviewed plan of #${pr.number}.\n\n${result.markdown}`).write();
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
    maxChars: SUMMARY_LIMIT,
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
