import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoService, startDemoService } from '../../../playground/demo-service.js';
import { type LoadGenerator, startLoad } from '../../../playground/load-generator.js';
import { VirtualClock } from '../../../src/simulation/memory.js';
import {
  deployment,
  dieAtStep,
  imageOf,
  kubeRollout,
  NEVER_READY_IMAGE,
  NEW_IMAGE,
  OLD_IMAGE,
  rolloutConfig,
  seedUserObjects,
  writeRolloutFiles,
} from '../../rollout/kube-fixture.js';
import { runBundledAction } from '../../support/action-runner.js';
import { FakeGitHub } from '../../support/fake-github.js';
import { type FakeKube, startFakeKube } from '../../support/fake-kube/index.js';
import { hasSharedFixtures, repoRoot } from '../../support/shared-fixtures.js';

const main = 'dist/canary/index.js';
// One bundle serves main and post (action.yml points both at it); the runner
// hands the post step the state main saved, `isPost` first.
const post = main;
const built = existsSync(`${repoRoot}/${main}`);

const runEnv = { GITHUB_REPOSITORY: 'shop/payments', GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '1' };

/** The inputs as the runner passes them, defaults from action.yml included. */
function inputs(
  files: { configPath: string; manifestPath: string },
  kubeconfig: string,
  extra: Record<string, string> = {},
) {
  return {
    config: files.configPath,
    manifest: files.manifestPath,
    image: NEW_IMAGE,
    kubeconfig,
    'github-token': '',
    environment: '',
    'dry-run': 'false',
    resume: 'false',
    ...extra,
  };
}

// The bundles run as the runner runs them: INPUT_* variables, file commands for outputs, state and summary.
describe.skipIf(!hasSharedFixtures || !built)('the canary action bundle', () => {
  let fake: FakeKube;
  let n = 0;
  beforeAll(async () => {
    fake = await startFakeKube();
  });
  afterAll(async () => {
    await fake.stop();
  });

  function setup(extra: Record<string, unknown> = {}) {
    n += 1;
    const namespace = `action-${n}`;
    seedUserObjects(fake, 'istio', namespace);
    const files = writeRolloutFiles(namespace, rolloutConfig('istio', namespace, extra));
    return { namespace, files };
  }

  it('dry run: prints every object it would write and writes none', async () => {
    const { files } = setup();
    const before = fake.writeCount;
    const run = await runBundledAction(main, {
      inputs: inputs(files, fake.kubeconfigPath, { 'dry-run': 'true' }),
      env: runEnv,
    });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/::group::Dry run: \d+ object\(s\) glidepath would write/);
    for (const name of ['payments-primary', 'payments-canary', 'payments'])
      expect(run.stdout).toContain(`name: ${name}\n`);
    expect(run.stdout).toContain(`image: ${NEW_IMAGE}`);
    expect(run.stdout).toContain('kind: DestinationRule');
    expect(run.outputs.outcome).toBe('dry-run');
    expect(fake.writeCount).toBe(before);
  });

  it('loads no cloud SDK chunk when no cloud source needs one (the cold-start bench relies on it)', async () => {
    // Node's synchronous module hooks (node:module registerHooks, nodejs.org/api/module.html#customization-hooks)
    // log every module the bundle resolves.
    const dir = mkdtempSync(join(tmpdir(), 'glidepath-modules-'));
    const log = join(dir, 'resolved.txt');
    const hook = join(dir, 'log-modules.mjs');
    writeFileSync(
      hook,
      `import { registerHooks } from 'node:module';\nimport { appendFileSync } from 'node:fs';\nregisterHooks({ resolve(specifier, context, next) { const r = next(specifier, context); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; } });\n`,
    );
    writeFileSync(log, '');
    const { files } = setup();
    const run = await runBundledAction(main, {
      inputs: inputs(files, fake.kubeconfigPath, { 'dry-run': 'true' }),
      env: { ...runEnv, NODE_OPTIONS: `--import=${pathToFileURL(hook).href}` },
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const resolved = readFileSync(log, 'utf8');
    expect(resolved).toContain('/dist/canary/index.js');
    // The chunks index.js loads only with import(): the Azure, Google, IBM and AWS SDKs.
    const lazy = [
      ...readFileSync(`${repoRoot}/${main}`, 'utf8').matchAll(/import\("\.\/(chunks\/[^"]+)"\)/g),
    ].map((m) => m[1] as string);
    expect(lazy.length).toBeGreaterThanOrEqual(4);
    // The hook does see chunks: the ones index.js imports statically are all there.
    const eager = [...readFileSync(`${repoRoot}/${main}`, 'utf8').matchAll(/from"\.\/(chunks\/[^"]+)"/g)].map(
      (m) => m[1] as string,
    );
    expect(eager.length).toBeGreaterThan(0);
    for (const chunk of eager) expect(resolved, chunk).toContain(`/dist/canary/${chunk}`);
    for (const chunk of lazy) expect(resolved, chunk).not.toContain(`/dist/canary/${chunk}`);
  });

  it('a config error: an annotation on the file and line, exit 1, and no writes', async () => {
    const { files } = setup({ steps: [50, 25] });
    const before = fake.writeCount;
    const run = await runBundledAction(main, { inputs: inputs(files, fake.kubeconfigPath), env: runEnv });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `::error title=glidepath configuration,file=${files.configPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')},line=\\d+.*must rise step by step`,
      ),
    );
    expect(fake.writeCount).toBe(before);
    expect(run.state.started).toBeUndefined();
  });

  it('post step after a run that crashed mid-rollout: restores 100 % primary and frees the Lease', async () => {
    const { namespace, files } = setup();
    const clock = new VirtualClock(Date.now());
    const crashed = await dieAtStep(
      fake,
      namespace,
      { config: readFileSync(files.configPath, 'utf8'), clock, env: runEnv },
      2,
    );
    expect(crashed.canaryWeight()).toBe(25);
    const run = await runBundledAction(post, {
      state: {
        isPost: 'true',
        started: 'true',
        leased: 'true',
        config: crashed.configPath,
        manifest: crashed.manifestPath,
        image: NEW_IMAGE,
        kubeconfig: fake.kubeconfigPath,
      },
      env: runEnv,
    });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout).toMatch(
      /::warning::glidepath: the rollout did not finish; traffic restored to 100 %25 primary/,
    );
    const check = kubeRollout(fake, namespace, { config: readFileSync(files.configPath, 'utf8') });
    expect(await check.prepared.router.getWeights()).toEqual({ primary: 100, canary: 0 });
    expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBe(0);
    expect(imageOf(fake, namespace, 'payments-primary')).toBe(OLD_IMAGE);
    const lease = fake.get('coordination.k8s.io', 'v1', 'Lease', namespace, 'glidepath-payments');
    expect((lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity).toBeUndefined();
    expect(lease).toBeDefined();
    expect(lease?.metadata.annotations?.['glidepath.dev/phase']).toBe('failed');
  });

  it("post step of a run that lost the lock leaves the live holder's rollout alone", async () => {
    const { namespace, files } = setup();
    const clock = new VirtualClock(Date.now());
    // Another run is mid-rollout and alive (its Lease is fresh).
    const other = await dieAtStep(
      fake,
      namespace,
      { config: readFileSync(files.configPath, 'utf8'), clock, env: { ...runEnv, GITHUB_RUN_ID: '1000' } },
      2,
    );
    const before = fake.writeCount;
    const run = await runBundledAction(post, {
      state: {
        isPost: 'true',
        started: 'true',
        leased: 'true',
        config: other.configPath,
        manifest: other.manifestPath,
        image: NEW_IMAGE,
        kubeconfig: fake.kubeconfigPath,
      },
      env: runEnv,
    });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('glidepath: run shop/payments/1000/1 holds the rollout lock of payments');
    expect(fake.writeCount).toBe(before);
    expect(await other.prepared.router.getWeights()).toEqual({ primary: 75, canary: 25 });
  });

  it('post step after main failed before it took the Lease: nothing to clean up, even once another run finished', async () => {
    const { namespace, files } = setup();
    // Another run rolled out and finished (promoted, Lease released) after this one failed early.
    const other = kubeRollout(fake, namespace, {
      config: readFileSync(files.configPath, 'utf8'),
      env: { ...runEnv, GITHUB_RUN_ID: '999' },
    });
    expect((await other.run()).outcome).toBe('promoted');
    const before = fake.writeCount;
    const run = await runBundledAction(post, {
      state: {
        isPost: 'true',
        started: 'true',
        config: other.configPath,
        manifest: other.manifestPath,
        image: NEW_IMAGE,
        kubeconfig: fake.kubeconfigPath,
      },
      env: runEnv,
    });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout).toContain('glidepath: nothing to clean up (this run never took the rollout lock)');
    expect(fake.writeCount).toBe(before);
    const lease = fake.get('coordination.k8s.io', 'v1', 'Lease', namespace, 'glidepath-payments');
    expect(lease?.metadata.annotations?.['glidepath.dev/phase']).toBe('promoted');
  });

  it("SIGINT during the canary's readiness wait: outcome, report and summary within the runner's 7.5 s, then post finds nothing left", async () => {
    // A scale-down delay that fits the cancel window: main itself leaves nothing for post.
    const { namespace, files } = setup({ readyTimeout: '5m', scaleDownDelay: '1s' });
    const mainRun = await runBundledAction(main, {
      inputs: { ...inputs(files, fake.kubeconfigPath), image: NEVER_READY_IMAGE },
      env: runEnv,
      interruptOn: { stdout: /deploy canary: payments-canary/, afterMs: 1_000 },
      cancelWindowMs: 7_500,
      timeoutMs: 60_000,
    });
    expect(mainRun.terminated, mainRun.stdout).toBe(false);
    expect(mainRun.exitAfterInterruptMs).toBeLessThan(7_500);
    expect(mainRun.exitCode).toBe(1);
    expect(mainRun.outputs.outcome).toBe('failed');
    expect(mainRun.outputs['final-weight']).toBe('0');
    expect(existsSync(mainRun.outputs.report ?? '')).toBe(true);
    const report = JSON.parse(readFileSync(mainRun.outputs.report ?? '', 'utf8')) as { reason: string };
    expect(report.reason).toBe('the job was cancelled');
    expect(mainRun.summary.length).toBeGreaterThan(0);
    expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBe(0);
    const postRun = await runBundledAction(post, { state: mainRun.state, env: runEnv });
    expect(postRun.exitCode).toBe(0);
    expect(postRun.stdout).toContain('glidepath: nothing to clean up');
  });

  it('post step after a run that finished or never started: nothing to clean up, no writes', async () => {
    const before = fake.writeCount;
    const notStarted = await runBundledAction(post, { state: { isPost: 'true' } });
    expect(notStarted.exitCode).toBe(0);
    expect(notStarted.stdout).toContain('glidepath: nothing to clean up');
    const finished = await runBundledAction(post, {
      state: { isPost: 'true', started: 'true', finished: 'true' },
    });
    expect(finished.stdout).toContain('glidepath: nothing to clean up');
    expect(fake.writeCount).toBe(before);
  });
});

describe.skipIf(!hasSharedFixtures || !built)('the canary action bundle, a real rollout', () => {
  let fake: FakeKube;
  let github: FakeGitHub;
  let stable: DemoService;
  let canary: DemoService;
  let loads: LoadGenerator[];
  const statuses: Array<{ state: string; description?: string }> = [];
  const deployments: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    fake = await startFakeKube();
    github = await FakeGitHub.start();
    github.route('POST', '/repos/{owner}/{repo}/deployments', (request) => {
      deployments.push(request.body as Record<string, unknown>);
      return { status: 201, body: { id: 77, environment: 'production' } };
    });
    github.route('POST', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses', (request) => {
      statuses.push(request.body as { state: string });
      return { status: 201, body: { id: statuses.length, state: (request.body as { state: string }).state } };
    });
    stable = await startDemoService({ track: 'stable', version: '1', errorRate: 0.001 });
    canary = await startDemoService({ track: 'canary', version: '2', errorRate: 0.001 });
    loads = [startLoad(stable.url, 100), startLoad(canary.url, 100)];
  });
  afterAll(async () => {
    for (const load of loads ?? []) await load.stop();
    await stable?.stop();
    await canary?.stop();
    await github?.stop();
    await fake?.stop();
  });

  function realFiles(
    namespace: string,
    extra: Record<string, unknown> = {},
    sequential: Record<string, unknown> = {},
  ) {
    seedUserObjects(fake, 'istio', namespace);
    return writeRolloutFiles(
      namespace,
      rolloutConfig('istio', namespace, {
        steps: [50],
        interval: '2s',
        checkInterval: '1s',
        analysis: {
          source: {
            provider: 'scrape',
            targets: [{ url: `${stable.url}/metrics` }, { url: `${canary.url}/metrics` }],
          },
          preset: 'demo',
          sequential: { minSoak: '2s', ...sequential },
        },
        ...extra,
      }),
    );
  }

  const githubEnv = () => ({
    ...runEnv,
    GITHUB_API_URL: github.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_SHA: 'a'.repeat(40),
  });

  async function weightsOf(namespace: string, files: { configPath: string }) {
    const check = kubeRollout(fake, namespace, { config: readFileSync(files.configPath, 'utf8') });
    return check.prepared.router.getWeights();
  }

  it('promotes through the fake cluster with real metrics and records GitHub Deployment statuses', async () => {
    const namespace = 'action-real';
    // Judged against a 1 % SLO rate: the two demo services' ~100 rps decide the step in seconds
    // (against their own 0.1 %, the sequential test would need ~2800 canary requests).
    const files = realFiles(namespace, {}, { p0: 0.01 });
    const run = await runBundledAction(main, {
      inputs: inputs(files, fake.kubeconfigPath, { 'github-token': github.token, environment: 'production' }),
      env: githubEnv(),
      timeoutMs: 60_000,
    });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.outcome).toBe('promoted');
    expect(run.outputs['final-weight']).toBe('0');
    const report = JSON.parse(readFileSync(run.outputs.report as string, 'utf8')) as { steps: unknown[] };
    expect(report.steps).toHaveLength(1);
    expect(run.summary).toContain('xychart-beta');
    expect(run.stdout.replace(`::add-mask::${github.token}`, '')).not.toContain(github.token);
    expect(imageOf(fake, namespace, 'payments-primary')).toBe(NEW_IMAGE);
    expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBe(0);

    expect(github.rejections).toEqual([]);
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({ environment: 'production', ref: 'a'.repeat(40) });
    expect(statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
  });

  it('rolls a faulty canary back, exits 1, and records a failure status', async () => {
    canary.setErrorRate(0.3);
    statuses.length = 0;
    const namespace = 'action-faulty';
    const files = realFiles(namespace);
    const run = await runBundledAction(main, {
      inputs: inputs(files, fake.kubeconfigPath, { 'github-token': github.token, environment: 'production' }),
      env: githubEnv(),
      timeoutMs: 60_000,
    });
    canary.setErrorRate(0.001);
    expect(run.exitCode, run.stdout).toBe(1);
    expect(run.outputs.outcome).toBe('rolled-back');
    expect(run.stdout).toMatch(/::error::Canary rolled-back: step 1 failed analysis/);
    expect(await weightsOf(namespace, files)).toEqual({ primary: 100, canary: 0 });
    expect(imageOf(fake, namespace, 'payments-primary')).toBe(OLD_IMAGE);
    expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas).toBe(0);
    expect(statuses.map((s) => s.state)).toEqual(['in_progress', 'failure']);
    expect(github.rejections).toEqual([]);
  });

  it('cancelled (SIGINT) mid-soak, then the post step as the runner runs it: traffic restored', async () => {
    const namespace = 'action-cancelled';
    const files = realFiles(namespace, { interval: '5m' });
    const mainRun = await runBundledAction(main, {
      inputs: inputs(files, fake.kubeconfigPath),
      env: runEnv,
      interruptAfterMs: 6_000,
      timeoutMs: 60_000,
    });
    expect(mainRun.exitCode).not.toBe(0);
    const postRun = await runBundledAction(post, { state: mainRun.state, env: runEnv });
    expect(postRun.exitCode).toBe(0);
    // On a slow machine SIGINT can come before glidepath touched anything: then there is no split and no primary.
    expect((await weightsOf(namespace, files)) ?? { primary: 100, canary: 0 }).toEqual({
      primary: 100,
      canary: 0,
    });
    expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas ?? 0).toBe(0);
    expect(imageOf(fake, namespace, 'payments-primary') ?? OLD_IMAGE).toBe(OLD_IMAGE);
  });
});
