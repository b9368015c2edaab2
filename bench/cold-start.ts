// `npm run bench -- cold-start`: what users download and how fast the canary
// reaches the cluster. Builds dist/ into a temporary folder from the current
// sources, prints each bundle's size and the total (target: at most 20 MB),
// then times the canary bundle from process start to its first request to an
// API server on 127.0.0.1, against a reference action bundled the same way
// (bench/cold-start-reference.ts: @actions/core + @kubernetes/client-node and
// one request) in the same run (target: at most 2x).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const node = join(root, 'node_modules/.bin/node');
const MAX_DIST_MB = 20;
const MAX_RATIO = 2;

function folderBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (sum, e) => sum + (e.isDirectory() ? folderBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size),
    0,
  );
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

/** An API server that notes when the first request arrives and answers every request 404 (Status, as the API server does). */
async function startApiServer() {
  let resolveFirst: (at: number) => void = () => {};
  let first = new Promise<number>((r) => {
    resolveFirst = r;
  });
  const server = createServer((_req, res) => {
    resolveFirst(performance.now());
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    reset() {
      first = new Promise<number>((r) => {
        resolveFirst = r;
      });
    },
    firstRequest: () => first,
    stop: () => new Promise((r) => server.close(r)),
  };
}

/** Milliseconds from spawning the bundle to the API server's first request; the process is then stopped. */
async function timeToFirstRequest(
  bundle: string,
  env: Record<string, string>,
  api: Awaited<ReturnType<typeof startApiServer>>,
): Promise<number> {
  api.reset();
  const start = performance.now();
  const child = spawn(node, [bundle], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
  const exited = new Promise<never>((_, reject) =>
    child.on('exit', (code) => reject(new Error(`${bundle} exited (${code}) before any API request`))),
  );
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`${bundle}: no API request in 30 s`)), 30_000).unref(),
  );
  try {
    return (await Promise.race([api.firstRequest(), exited, timeout])) - start;
  } finally {
    child.kill('SIGKILL');
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function benchColdStart(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'glidepath-cold-start-'));
  const api = await startApiServer();
  try {
    const dist = join(work, 'dist');
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--out', dist], { stdio: 'ignore' });
    console.log('dist/ built from the current sources:');
    for (const name of readdirSync(dist).sort())
      console.log(`  ${name.padEnd(10)} ${mb(folderBytes(join(dist, name)))}`);
    const total = folderBytes(dist);
    console.log(
      `  total      ${mb(total)} (target ≤ ${MAX_DIST_MB} MB: ${total <= MAX_DIST_MB * 1e6 ? 'met' : 'MISSED'})`,
    );

    const reference = join(work, 'reference', 'index.js');
    await build({
      entryPoints: [join(root, 'bench/cold-start-reference.ts')],
      outfile: reference,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      minify: true,
      logLevel: 'warning',
      banner: {
        js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);",
      },
    });
    writeFileSync(join(work, 'reference', 'package.json'), '{"type":"module"}\n');

    const kubeconfig = join(work, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{ name: bench, cluster: { server: "http://127.0.0.1:${api.port}", insecure-skip-tls-verify: true } }]
users: [{ name: bench, user: { token: bench } }]
contexts: [{ name: bench, context: { cluster: bench, user: bench, namespace: payments } }]
current-context: bench
`,
    );
    const config = join(work, 'rollout.yaml');
    writeFileSync(
      config,
      `service: payments
namespace: payments
router: { provider: istio, virtualService: payments }
steps: [10, 50]
interval: 1m
analysis:
  source: { provider: prometheus, address: "http://127.0.0.1:9" }
  preset: demo
`,
    );
    const manifest = join(work, 'manifest.yaml');
    writeFileSync(
      manifest,
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: payments, namespace: payments }
spec:
  replicas: 2
  selector: { matchLabels: { app: payments } }
  template:
    metadata: { labels: { app: payments } }
    spec: { containers: [{ name: app, image: "registry.example/payments@sha256:${'b'.repeat(64)}" }] }
`,
    );
    const runner = (name: string) => {
      const file = join(work, name);
      writeFileSync(file, '');
      return file;
    };
    const common = {
      RUNNER_TEMP: work,
      GITHUB_OUTPUT: runner('out'),
      GITHUB_STATE: runner('state'),
      GITHUB_STEP_SUMMARY: runner('summary'),
    };
    const canaryEnv = {
      ...common,
      INPUT_CONFIG: config,
      INPUT_MANIFEST: manifest,
      INPUT_IMAGE: `registry.example/payments@sha256:${'a'.repeat(64)}`,
      INPUT_KUBECONFIG: kubeconfig,
      'INPUT_DRY-RUN': 'false',
      INPUT_RESUME: 'false',
    };
    const referenceEnv = { ...common, INPUT_KUBECONFIG: kubeconfig, INPUT_NAMESPACE: 'payments' };

    const rounds = 7;
    const canaryMs: number[] = [];
    const referenceMs: number[] = [];
    // Warm the file cache for both, then alternate so load on the machine hits both alike.
    await timeToFirstRequest(join(dist, 'canary/index.js'), canaryEnv, api);
    await timeToFirstRequest(reference, referenceEnv, api);
    for (let i = 0; i < rounds; i++) {
      canaryMs.push(await timeToFirstRequest(join(dist, 'canary/index.js'), canaryEnv, api));
      referenceMs.push(await timeToFirstRequest(reference, referenceEnv, api));
    }
    const ratio = median(canaryMs) / median(referenceMs);
    console.log(
      `cold start, process start to the first API request (median of ${rounds}, Node ${execFileSync(node, ['--version']).toString().trim()}):`,
    );
    console.log(
      `  reference (@actions/core + @kubernetes/client-node, one request) ${median(referenceMs).toFixed(0)} ms (1.0x)`,
    );
    console.log(
      `  canary action                                                   ${median(canaryMs).toFixed(0)} ms (${ratio.toFixed(2)}x; target ≤ ${MAX_RATIO}x: ${ratio <= MAX_RATIO ? 'met' : 'MISSED'})`,
    );
  } finally {
    await api.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
