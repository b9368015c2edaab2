import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';

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
}): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'glidepath-prom-'));
  const port = await freePort();
  const interval = options.scrapeIntervalSeconds ?? 1;
  const config = [
    'global:',
    `  scrape_interval: ${interval}s`,
    `  evaluation_interval: ${interval}s`,
    'scrape_configs:',
    '  - job_name: test',
    '    static_configs:',
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
  const url = `http://127.0.0.1:${port}`;

  const start = async () => {
    log = '';
    child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (chunk) => {
      log = (log + chunk).slice(-4000);
    });
    await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, 20_000, `Prometheus on ${url}\n${log}`);
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
