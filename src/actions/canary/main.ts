import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@actions/core';
import { stringify } from 'yaml';
import { failStep } from '../../github/annotations.js';
import { DeploymentTracker } from '../../github/deployments.js';
import { createOctokit } from '../../github/octokit.js';
import { renderRolloutSummary } from '../../github/rollout-summary.js';
import { runRollout } from '../../rollout/engine.js';
import type { RolloutReport } from '../../rollout/report.js';
import { prepareRollout } from '../../rollout/setup.js';
import { checkTraffic, describeTraffic, tooLittleTraffic } from '../../rollout/traffic-check.js';
import { validateRolloutOffline } from '../../rollout/validate-inputs.js';
import { getInputs } from './inputs.js';
import { saveFinished, saveLeased, saveStarted } from './state.js';

/** The Deployment status says which version serves, never "rolled back" while the new one serves. */
function deploymentDescription(report: RolloutReport): string {
  const serving = {
    new: `${report.revision} serves`,
    previous: 'the previous version serves 100 %',
    split: `traffic may still be split (last confirmed ${report.finalWeights?.primary ?? '?'} % primary / ${report.finalWeights?.canary ?? '?'} % canary)`,
    unknown: 'another run took over; see its status',
  }[report.serving ?? 'previous'];
  return `${report.outcome}: ${serving}. ${report.reason ?? ''}`;
}

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const cancel = new AbortController();
  // The runner sends SIGINT on cancellation and SIGTERM 7.5 s later: roll back within that.
  const onSignal = () => {
    core.warning('The job was cancelled: restoring 100 % primary');
    cancel.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const inputs = getInputs();
    if (inputs.validateOnly) {
      const spec = await validateRolloutOffline({ ...inputs, env });
      core.info(
        `${inputs.config}: valid rollout of ${spec.service} (${spec.steps.join(', ')} %); no cluster contacted`,
      );
      core.setOutput('outcome', 'valid');
      core.setOutput('final-weight', '0');
      return;
    }
    const prepared = prepareRollout({
      config: inputs.config,
      manifest: inputs.manifest,
      image: inputs.image,
      kubeconfig: inputs.kubeconfig,
      env,
    });
    const { spec, router, workloads } = prepared;

    if (inputs.dryRun) {
      const writes = [...(await router.validate()), ...(await workloads.validate())];
      await core.group(`Dry run: ${writes.length} object(s) glidepath would write`, async () => {
        for (const write of writes) core.info(`# ${write.verb}\n${stringify(write.object)}---`);
      });
      // So a team knows before it rolls out whether its traffic lets the sequential test decide.
      const traffic = await checkTraffic(spec, prepared.metrics, Date.now());
      if (traffic) {
        const text = `Minimum traffic: ${describeTraffic(traffic, spec)}`;
        if (tooLittleTraffic(traffic))
          core.warning(
            `${text}. ${spec.lowTraffic === 'refuse' ? 'A rollout would not start' : 'Steps would likely roll back undecided'} (analysis.lowTraffic: ${spec.lowTraffic}).`,
          );
        else core.info(text);
      }
      core.setOutput('outcome', 'dry-run');
      core.setOutput('final-weight', '0');
      await prepared.metrics.close?.();
      return;
    }

    const deployment =
      inputs.githubToken && inputs.environment && env.GITHUB_REPOSITORY
        ? new DeploymentTracker(
            createOctokit(inputs.githubToken),
            {
              owner: env.GITHUB_REPOSITORY.split('/')[0] as string,
              repo: env.GITHUB_REPOSITORY.split('/')[1] as string,
            },
            inputs.environment,
          )
        : undefined;
    await deployment?.start(env.GITHUB_SHA ?? 'HEAD', `canary of ${spec.service} at ${inputs.image}`, {
      service: spec.service,
      image: inputs.image,
    });

    saveStarted({
      config: inputs.config,
      manifest: inputs.manifest,
      image: inputs.image,
      kubeconfig: inputs.kubeconfig,
    });
    const report = await runRollout({
      ...prepared,
      resume: inputs.resume,
      signal: cancel.signal,
      onLockAcquired: saveLeased,
      onEvent: (event) => core.info(`${event.at} ${event.message}`),
    });
    saveFinished();
    await prepared.metrics.close?.();

    const reportPath = join(env.RUNNER_TEMP ?? process.cwd(), `glidepath-canary-${spec.service}.json`);
    writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
    core.setOutput('outcome', report.outcome ?? 'failed');
    core.setOutput('final-weight', String(report.finalWeights?.canary ?? 0));
    core.setOutput('report', reportPath);
    await core.summary.addRaw(renderRolloutSummary(report)).write();
    const runUrl =
      env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
        ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
        : undefined;
    await deployment
      ?.status(report.outcome === 'promoted' ? 'success' : 'failure', deploymentDescription(report), runUrl)
      .catch((e: unknown) => core.warning(`Could not update the GitHub Deployment: ${String(e)}`));
    if (report.outcome !== 'promoted') core.setFailed(`Canary ${report.outcome}: ${report.reason}`);
  } catch (e: unknown) {
    failStep(e);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
