import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@actions/core';
import { reaches } from '../../analysis/check-result.js';
import { evaluateChecks, planGates } from '../../analysis/gate.js';
import { expandPatterns, loadGateFiles } from '../../config/load-gates.js';
import type { SourceConfig } from '../../config/source.js';
import { failStep } from '../../github/annotations.js';
import { renderGateSummary } from '../../github/gate-summary.js';
import { createMetricsSource } from '../../metrics/registry.js';
import type { MetricsSource } from '../../metrics/source.js';
import { getInputs } from './inputs.js';

export async function run(): Promise<void> {
  const sources = new Map<string, MetricsSource>();
  try {
    const inputs = getInputs();
    const files = await expandPatterns(inputs.slos);
    const gates = loadGateFiles(files, {
      notice: (n) => core.notice(n.message, { title: 'OpenSLO', file: n.file, startLine: n.line }),
    });
    const override: SourceConfig | undefined = inputs.prometheusUrl
      ? {
          provider: 'prometheus',
          address: inputs.prometheusUrl,
          headers: inputs.prometheusHeaders,
          ...(inputs.prometheusAuth ? { auth: inputs.prometheusAuth } : {}),
        }
      : undefined;
    const planned = planGates(gates, { defaultWindow: inputs.window, vars: inputs.vars, source: override });
    core.info(`Evaluating ${planned.length} check(s) from ${files.join(', ')}`);

    const report = await core.group('Evaluate SLO checks', () =>
      evaluateChecks(planned, {
        sourceFor: (config) => {
          const key = JSON.stringify(config);
          let source = sources.get(key);
          if (!source) {
            source = createMetricsSource(config, { bearerToken: inputs.prometheusToken });
            sources.set(key, source);
          }
          return source;
        },
      }),
    );
    for (const check of report.checks) {
      core.info(`${check.status.padEnd(7)} ${check.gate}/${check.name}: ${check.reason}`);
    }

    const reportPath = join(process.env.RUNNER_TEMP ?? process.cwd(), reportFileName(process.env));
    writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
    core.setOutput('result', report.result);
    core.setOutput('report', reportPath);
    await core.summary.addRaw(renderGateSummary(report)).write();

    const failing = report.checks.filter((c) => reaches(c.verdict, inputs.failOn));
    if (failing.length > 0) {
      for (const check of failing) {
        core.error(`${check.gate}/${check.name}: ${check.reason}`, {
          title: `SLO check ${check.status}`,
          file: check.location.file,
          startLine: check.location.line,
        });
      }
      core.setFailed(
        `SLO gate ${report.result}: ${failing.map((c) => `${c.gate}/${c.name} (${c.status}: ${c.reason})`).join('; ')}`,
      );
    }
  } catch (e: unknown) {
    failStep(e);
  } finally {
    for (const source of sources.values()) await source.close?.();
  }
}

/**
 * One report file per step: GITHUB_ACTION is the step's id, or for a step
 * without one a name the runner makes unique within the job
 * (`__owner_repo`, then `__owner_repo_2`, ...), so two gates in a job keep
 * their own reports.
 * https://docs.github.com/en/actions/reference/workflows-and-actions/variables
 */
export function reportFileName(env: NodeJS.ProcessEnv): string {
  const step = (env.GITHUB_ACTION ?? '').replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[-.]+/, '');
  return step ? `glidepath-slo-gate-${step}.json` : 'glidepath-slo-gate-report.json';
}
