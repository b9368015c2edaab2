import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { freePort, waitFor } from './ports.js';

/**
 * Prometheus's own HTTPS and basic auth (`--web.config.file`, exporter-toolkit
 * web config, in Prometheus since 2.24).
 */
export interface PrometheusWebOptions {
  /** Serve HTTPS with this certificate; `caFile` is what the launcher's readiness probe trusts. */
  tls?: { certFile: string; keyFile: string; caFile: string };
  /** Users and their bcrypt hashes; every endpoint then demands basic auth. */
  basicAuthUsers?: Record<string, string>;
  /** Plain credentials the readiness probe sends when `basicAuthUsers` is set. */
  probeCredentials?: { username: string; password: string };
}

export interface PrometheusServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Starts it again on the same port and storage, e.g. after stop() in an outage test. */
  restart(): Promise<void>;
}

export function prometheusInstalled(): boolean {
  return spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts the real Prometheus (Debian package) on 127.0.0.1 with its own
 * storage in a temp dir, scraping the given targets every second.
 */
export async function startPrometheus(options: {
  targets: Array<{ address: string; labels?: Record<string, string> }>;
  scrapeIntervalSeconds?: number;
  web?: PrometheusWebOptions;
  /** A TSDB directory to start from (copied), e.g. blocks made by `backfillOpenMetrics`. */
  storageFrom?: string;
  /** More command-line flags, e.g. `--storage.tsdb.retention.time=30d` for backfilled history. */
  extraArgs?: string[];
}): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'glidepath-prom-'));
  if (options.storageFrom) cpSync(options.storageFrom, join(dir, 'data'), { recursive: true });
  const port = await freePort();
  const interval = options.scrapeIntervalSeconds ?? 1;
  const config = [
    'global:',
    `  scrape_interval: ${interval}s`,
    `  evaluation_interval: ${interval}s`,
    'scrape_configs:',
    '  - job_name: test',
    options.targets.length === 0 ? '    static_configs: []' : '    static_configs:',
    ...options.targets.flatMap((t) => [
      `      - targets: ['${t.address}']`,
      ...(t.labels
        ? ['        labels:', ...Object.entries(t.labels).map(([k, v]) => `          ${k}: '${v}'`)]
        : []),
    ]),
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `${config}\n`);
  let child: ChildProcess | undefined;
  let log = '';
  const web = options.web;
  const url = `${web?.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const webArgs: string[] = [];
  if (web?.tls || web?.basicAuthUsers) {
    const lines = [
      ...(web.tls
        ? ['tls_server_config:', `  cert_file: '${web.tls.certFile}'`, `  key_file: '${web.tls.keyFile}'`]
        : []),
      ...(web.basicAuthUsers
        ? [
            'basic_auth_users:',
            ...Object.entries(web.basicAuthUsers).map(([user, hash]) => `  ${user}: '${hash}'`),
          ]
        : []),
    ];
    writeFileSync(join(dir, 'web.yml'), `${lines.join('\n')}\n`);
    webArgs.push(`--web.config.file=${join(dir, 'web.yml')}`);
  }
  const probeDispatcher = web?.tls
    ? new Agent({ connect: { ca: readFileSync(web.tls.caFile, 'utf8') } })
    : undefined;
  const probeHeaders: Record<string, string> = web?.probeCredentials
    ? {
        authorization: `Basic ${Buffer.from(`${web.probeCredentials.username}:${web.probeCredentials.password}`).toString('base64')}`,
      }
    : {};
  const ready = async () =>
    (await undiciFetch(`${url}/-/ready`, { headers: probeHeaders, dispatcher: probeDispatcher })).ok;

  const start = async () => {
    log = '';
    child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
        ...webArgs,
        ...(options.extraArgs ?? []),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (chunk) => {
      log = (log + chunk).slice(-4000);
    });
    await waitFor(ready, 20_000, `Prometheus on ${url}\n${log}`);
  };
  const stopChild = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
      setTimeout(() => running.kill('SIGKILL'), 5_000).unref();
    });
  };
  await start();
  return {
    url,
    port,
    restart: start,
    stop: async () => {
      await stopChild();
    },
    async [Symbol.asyncDispose]() {
      await stopChild();
      await probeDispatcher?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  } as PrometheusServer;
}

/** Waits until Prometheus has at least `samples` scrapes of `metric` in its head block. */
export async function waitForSamples(url: string, expr: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as { data?: { result?: unknown[] } };
      return (body.data?.result?.length ?? 0) > 0;
    },
    timeoutMs,
    `data for ${expr}`,
  );
}

/**
 * Writes OpenMetrics text (`# TYPE ...`, samples with timestamps in seconds,
 * ending with `# EOF`) into TSDB blocks with `promtool tsdb
 * create-blocks-from openmetrics`, for deterministic history. Returns the
 * directory to pass as `storageFrom`, and how to remove it.
 */
export function backfillOpenMetrics(text: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'glidepath-backfill-'));
  const input = join(dir, 'input.om');
  writeFileSync(input, text.endsWith('# EOF\n') ? text : `${text.replace(/\n?$/, '\n')}# EOF\n`);
  const result = spawnSync(
    'promtool',
    ['tsdb', 'create-blocks-from', 'openmetrics', input, join(dir, 'data')],
    {
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) {
    throw new Error(`promtool create-blocks-from failed: ${result.stderr || result.stdout}`);
  }
  return { dir: join(dir, 'data'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
