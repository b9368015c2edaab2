import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseCommandArgs } from '../src/cli/args.js';
import { loadRolloutText } from '../src/config/load-rollout.js';
import { renderRolloutSummary } from '../src/github/rollout-summary.js';
import { startLocalProxy } from '../src/mesh/local.js';
import { createMetricsSource } from '../src/metrics/registry.js';
import type { MetricsSource } from '../src/metrics/source.js';
import { runRollout } from '../src/rollout/engine.js';
import type { RolloutReport } from '../src/rollout/report.js';
import type { Workloads } from '../src/rollout/workloads.js';
import { MemoryLock } from '../src/simulation/memory.js';
import { prometheusInstalled, startPrometheus, waitForSamples } from '../test/support/prometheus.js';
import { type DemoService, startDemoService } from './demo-service.js';
import { interval as flagInterval, steps as flagSteps, playgroundUsage, positive, rate } from './flags.js';
import { startLoad } from './load-generator.js';

/** The playground's "cluster": two demo processes behind the local proxy; promotion gives the primary the canary's behaviour. */
class PlaygroundWorkloads implements Workloads {
  constructor(
    readonly revision: string,
    private readonly primary: DemoService,
    private readonly canary: DemoService,
    private readonly release: { errorRate: number },
  ) {}
  async validate() {
    return [];
  }
  async ensurePrimary() {
    return false;
  }
  async deployCanary() {
    this.canary.setErrorRate(this.release.errorRate);
  }
  async promotePrimary() {
    this.primary.setErrorRate(this.release.errorRate);
  }
  async scaleDownCanary() {}
}

/**
 * The full playground: stable and canary demo services, the local weighted
 * proxy, a load generator, real metrics (Prometheus when installed, else the
 * scrape source), and the real engine, first with a healthy release, then
 * with a faulty one.
 */
export async function runRolloutDemo(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    {
      'canary-error-rate': { type: 'string', default: '0.08' },
      'base-error-rate': { type: 'string', default: '0.005' },
      steps: { type: 'string' },
      interval: { type: 'string' },
      report: { type: 'string' },
      summary: { type: 'string', default: '.playground/summary.md' },
      rps: { type: 'string', default: '150' },
    },
    playgroundUsage,
    { positionals: false },
  );
  rate('canary-error-rate', values['canary-error-rate'] as string);
  rate('base-error-rate', values['base-error-rate'] as string);
  positive('rps', values.rps as string, { integer: true });
  if (values.steps) values.steps = flagSteps(values.steps).join(', ');
  if (values.interval) flagInterval(values.interval);
  const base = Number(values['base-error-rate']);
  let text = readFileSync(new URL('./rollout.yml', import.meta.url), 'utf8');
  if (values.steps) text = text.replace(/^steps: .*$/m, `steps: [${values.steps}]`);
  if (values.interval) text = text.replace(/^interval: .*$/m, `interval: ${values.interval}`);
  const spec = loadRolloutText(text, 'playground/rollout.yml');

  const stable = await startDemoService({ track: 'stable', version: '1.0.0', errorRate: base, latencyMs: 2 });
  const canary = await startDemoService({ track: 'canary', version: 'next', errorRate: base, latencyMs: 2 });
  const proxy = await startLocalProxy({ primaryUrl: stable.url, canaryUrl: canary.url });
  const load = startLoad(proxy.url, Number(values.rps));
  let trafficSince = Date.now();
  const prometheus = prometheusInstalled()
    ? await startPrometheus({
        targets: [{ address: `127.0.0.1:${stable.port}` }, { address: `127.0.0.1:${canary.port}` }],
      })
    : undefined;
  const metrics: MetricsSource = createMetricsSource(
    prometheus
      ? { provider: 'prometheus', address: prometheus.url }
      : {
          provider: 'scrape',
          targets: [{ url: `${stable.url}/metrics` }, { url: `${canary.url}/metrics` }],
          interval: '1s',
        },
  );
  console.log(
    `playground: stable ${stable.url}, canary ${canary.url}, proxy ${proxy.url} at ${values.rps} requests/s`,
  );
  console.log(
    `metrics: ${prometheus ? `Prometheus on ${prometheus.url}` : 'scrape source (install the Debian package prometheus to use a real server)'}`,
  );
  const reports: RolloutReport[] = [];
  try {
    if (prometheus) await waitForSamples(prometheus.url, 'sum(rate(http_requests_total[5s])) > 0');
    else if ('start' in metrics) await (metrics as { start(): Promise<void> }).start();
    const releases = [
      { name: 'healthy release 1.1.0', errorRate: base },
      {
        name: `faulty release 1.2.0 (${(Number(values['canary-error-rate']) * 100).toFixed(1)} % errors)`,
        errorRate: Number(values['canary-error-rate']),
      },
    ];
    for (const release of releases) {
      // The minimum-traffic check reads the primary's rate over the last
      // maxStepDuration, as a live service's history shows it. The demo's
      // primary was born a moment ago (or, after a promotion, has taken all
      // traffic only since then): let the load run that long first (plus two
      // scrapes), or the check counts the empty past and refuses to start.
      const history = spec.maxStepMs + 2_000 - (Date.now() - trafficSince);
      if (history > 0) {
        console.log(
          `\ntraffic: sending load to the primary for ${Math.ceil(history / 1000)}s so its rate over maxStepDuration (${spec.maxStepMs / 1000}s) is the real one`,
        );
        await new Promise((resolve) => setTimeout(resolve, history));
      }
      console.log(`\n== ${release.name}`);
      const started = Date.now();
      const report = await runRollout({
        spec,
        router: proxy.router,
        workloads: new PlaygroundWorkloads(release.name, stable, canary, release),
        metrics,
        lock: new MemoryLock(),
        onEvent: (event) =>
          console.log(`  +${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s ${event.message}`),
      });
      console.log(`  => ${report.outcome}: ${report.reason}; traffic now ${proxy.weights.primary} % primary`);
      reports.push(report);
      trafficSince = Date.now();
    }
    const markdown = reports.map(renderRolloutSummary).join('\n\n');
    mkdirSync(dirname(values.summary as string), { recursive: true });
    writeFileSync(values.summary as string, markdown);
    console.log(`\njob summary Markdown written to ${values.summary}`);
    if (values.report) {
      writeFileSync(values.report, `${JSON.stringify(reports, null, 2)}\n`);
      console.log(`JSON report written to ${values.report}`);
    }
    const expected = reports[0]?.outcome === 'promoted' && reports[1]?.outcome === 'rolled-back';
    return expected ? 0 : 1;
  } finally {
    await metrics.close?.();
    await load.stop();
    await proxy.stop();
    await stable.stop();
    await canary.stop();
    await prometheus?.stop();
  }
}
