import { existsSync, readFileSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import * as core from '@actions/core';
import { failStep } from '../../github/annotations.js';
import { type ChangeReport, detectChanges } from '../../images/detect.js';
import { Git } from '../../images/git.js';
import { type EventInfo, resolveRange } from '../../images/range.js';
import type { Service } from '../../images/services.js';
import { computeTags } from '../../images/tags.js';
import { getInputs } from './inputs.js';

/** One entry of the `services` output and of the matrix: what the build job needs for one image. */
export interface ServiceEntry {
  name: string;
  path: string;
  dockerfile: string;
  context: string;
  image: string;
  /** Newline-separated tag names (no image name), ready for the build action's `tags` input. */
  tags: string;
  /** Newline-separated `key=value` OCI labels, ready for the build action's `labels` input. */
  labels: string;
}

export interface RunDeps {
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

export async function run(deps: RunDeps = {}): Promise<void> {
  const env = deps.env ?? process.env;
  const now = deps.now ?? (() => new Date());
  try {
    const inputs = getInputs();
    const cwd = resolve(env.GITHUB_WORKSPACE ?? process.cwd(), inputs.workingDirectory);
    const range = resolveRange(readEvent(env), { base: inputs.base, head: inputs.head });
    core.info(
      `Comparing: ${range.kind === 'diff' ? `${range.base}..${range.head}` : 'all services'} (${range.reason})`,
    );
    const report = await core.group('Detect changed services', () =>
      detectChanges({
        git: new Git(cwd),
        manifest: inputs.manifest,
        manifestRequired: inputs.manifestRequired,
        range,
        log: (m) => core.info(m),
      }),
    );
    const context = { ref: env.GITHUB_REF ?? '', sha: report.head, env, now: now() };
    // Paths in the outputs are relative to the workspace, where the build job's steps run.
    const inWorkspace = (p: string) => posix.normalize(posix.join(inputs.workingDirectory, p));
    const entries = report.changed.map((s) =>
      toEntry(
        {
          ...s,
          path: inWorkspace(s.path),
          dockerfile: inWorkspace(s.dockerfile),
          context: inWorkspace(s.context),
        },
        inputs.registry,
        context,
      ),
    );
    logReport(report);
    core.setOutput('services', JSON.stringify(entries));
    core.setOutput('matrix', JSON.stringify({ include: entries }));
    core.setOutput('any-changed', entries.length > 0 ? 'true' : 'false');
    core.setOutput('deleted', JSON.stringify(report.deleted));
    core.setOutput('base', report.base ?? '');
    core.setOutput('head', report.head);
  } catch (e: unknown) {
    failStep(e);
  }
}

function readEvent(env: NodeJS.ProcessEnv): EventInfo {
  const path = env.GITHUB_EVENT_PATH;
  let payload: Record<string, unknown> = {};
  if (path && existsSync(path)) {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null) payload = parsed as Record<string, unknown>;
  }
  return { eventName: env.GITHUB_EVENT_NAME ?? '', sha: env.GITHUB_SHA ?? '', payload };
}

function toEntry(
  s: Service,
  registry: string,
  context: { ref: string; sha: string; env: NodeJS.ProcessEnv; now: Date },
): ServiceEntry {
  const server = context.env.GITHUB_SERVER_URL ?? 'https://github.com';
  const repo = context.env.GITHUB_REPOSITORY ?? '';
  const { tags, labels } = computeTags({
    ref: context.ref,
    sha: context.sha,
    title: s.name,
    source: repo ? `${server}/${repo}` : '',
    now: context.now,
  });
  return {
    name: s.name,
    path: s.path,
    dockerfile: s.dockerfile,
    context: s.context,
    image: registry ? `${registry}/${s.name}` : s.name,
    tags: tags.join('\n'),
    labels: Object.entries(labels)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  };
}

function logReport(report: ChangeReport): void {
  const names = report.changed.map((s) => s.name);
  core.info(
    `${names.length} of ${report.all.length} services to build (${report.source}, ${report.changedFiles} files changed): ${names.join(', ') || 'none'}`,
  );
  if (report.deleted.length > 0) core.info(`Deleted since base: ${report.deleted.join(', ')}`);
}
