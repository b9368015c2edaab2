import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TempRepo } from '../support/git-repo.js';
import {
  asTheRunnerShowsIt,
  type BundleEntry,
  type BundleRun,
  bundleEntries,
  crashSigns,
  fakeRunnerToken,
  node24,
  runBundle,
} from '../support/run-bundle.js';
import { hasSharedFixtures, repoRoot, sharedFixture } from '../support/shared-fixtures.js';

// Every entry point the action.yml files declare, and the CLI: the committed
// files are what users run, so each one is spawned here as the runner spawns
// it (see test/support/run-bundle.ts). A bundle that cannot load fails here.
const entries = bundleEntries();
const key = (e: BundleEntry) => `${e.action} ${e.stage} (${e.bundle})`;

function expectReported(run: BundleRun): void {
  expect(crashSigns(run), `${run.stderr}\n${run.stdout}`).toEqual([]);
  if (run.exitCode !== 0) {
    expect(run.exitCode, run.stderr).toBe(1);
    expect(
      run.annotations.filter((a) => a.level === 'error'),
      'a failed step says why with an error annotation',
    ).not.toEqual([]);
  }
}

/** Main, then post with the state main saved, as the runner does for an action with both. */
async function mainThenPost(action: string, options: Parameters<typeof runBundle>[1] = {}) {
  const main = entries.find((e) => e.action === action && e.stage === 'main') as BundleEntry;
  const first = await runBundle(main, options);
  const post = entries.find((e) => e.action === action && e.stage === 'post');
  const second = post ? await runBundle(post, { ...options, state: first.state }) : undefined;
  return { main: first, post: second };
}

describe('the bundles users run', () => {
  it('are found from the action.yml files: each action’s main (and post), and the CLI', () => {
    const names = entries.map((e) => `${e.action}:${e.stage}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'canary:main',
        'canary:post',
        'terraform:main',
        'slo-gate:main',
        'changes:main',
      ]),
    );
    expect(names).toContain('cli:cli');
    for (const entry of entries) expect(existsSync(join(repoRoot, entry.bundle)), entry.bundle).toBe(true);
  });

  it('run on Node 24, the actions’ runtime', () => {
    expect(execFileSync(node24, ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./);
  });

  it.for(entries.map((e) => [key(e), e] as const))(
    '%s loads on Node 24 with its action.yml defaults and reports through the runner’s channels',
    async ([, entry]) => {
      const run =
        entry.stage === 'post'
          ? (await mainThenPost(entry.action)).post!
          : await runBundle(entry, entry.stage === 'cli' ? { args: ['--help'] } : {});
      expectReported(run);
      // The runner's own token, from the `${{ github.token }}` default, is never shown.
      expect(asTheRunnerShowsIt(run).log).not.toContain(fakeRunnerToken);
    },
  );
});

describe('each bundle’s own contract', () => {
  it('terraform: a missing required input is one error annotation, naming it', async () => {
    const run = await runBundle(entries.find((e) => e.action === 'terraform')!);
    expect(run.exitCode).toBe(1);
    expect(run.inputs['INPUT_GITHUB-TOKEN']).toBe(fakeRunnerToken);
    expect(run.inputs.INPUT_TOOL).toBe('terraform');
    expect(run.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toEqual([
      'Input required and not supplied: command',
    ]);
  });

  it('terraform: a syntax error in the root module is annotated on its file and line before any download', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'glidepath-bundle-tf-'));
    writeFileSync(join(workspace, 'main.tf'), 'terraform {\n  required_version = \n}\n');
    const run = await runBundle(entries.find((e) => e.action === 'terraform')!, {
      workspace,
      inputs: { command: 'validate' },
    });
    expect(run.exitCode).toBe(1);
    const error = run.annotations.find((a) => a.level === 'error' && a.properties.file);
    expect(error?.properties).toMatchObject({ file: join(workspace, 'main.tf'), line: '3' });
    expect(error?.message).toContain('is not valid HCL');
  });

  it('slo-gate: a gate file that does not exist fails the step naming the file', async () => {
    const run = await runBundle(entries.find((e) => e.action === 'slo-gate')!, {
      inputs: { slos: 'gates/missing.yml', 'prometheus-url': 'http://127.0.0.1:9' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.map((a) => a.message).join('\n')).toContain('gates/missing.yml');
  });

  it('changes: lists the changed service of a real git range as outputs', async () => {
    const repo = new TempRepo();
    repo.write({ 'services/api/Dockerfile': 'FROM scratch\n', 'services/web/Dockerfile': 'FROM scratch\n' });
    const base = repo.commit('two services');
    repo.write({ 'services/api/main.go': 'package main\n' });
    const head = repo.commit('change api');
    const run = await runBundle(entries.find((e) => e.action === 'changes')!, {
      workspace: repo.dir,
      inputs: { base, head, registry: 'ghcr.io/acme' },
    });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs['any-changed']).toBe('true');
    expect((JSON.parse(run.outputs.services ?? '[]') as { name: string }[]).map((s) => s.name)).toEqual([
      'api',
    ]);
    expect(run.outputs.head).toBe(head);
  });

  it('canary: main refuses a missing config file with an annotation; post then has nothing to undo', async () => {
    const { main, post } = await mainThenPost('canary', {
      inputs: {
        config: '.glidepath/missing.yaml',
        image: `ghcr.io/acme/api@sha256:${'a'.repeat(64)}`,
        manifest: 'deploy.yaml',
      },
    });
    expect(main.exitCode).toBe(1);
    expect(main.annotations.map((a) => a.message).join('\n')).toContain('missing.yaml');
    if (post) {
      expectReported(post);
      expect(post.exitCode).toBe(0);
    }
  });

  it.skipIf(!hasSharedFixtures)('cli: renders a real plan from stdin as Markdown', async () => {
    const plan = readFileSync(
      sharedFixture('terraform-plans', 'opentofu__show-json__basic-create.json'),
      'utf8',
    );
    const run = await runBundle(entries.find((e) => e.stage === 'cli')!, {
      args: ['plan', 'render', '-'],
      stdin: plan,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('+3 ~0 -0 ±0');
  });
});
