import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateChecks, planGates } from '../src/analysis/gate.js';
import { parseCommandArgs } from '../src/cli/args.js';
import { loadGateFiles } from '../src/config/load-gates.js';
import type { SourceConfig } from '../src/config/source.js';
import { renderGateSummary } from '../src/github/gate-summary.js';
import { createMetricsSource } from '../src/metrics/registry.js';
import { prometheusInstalled, startPrometheus, waitForSamples } from '../test/support/prometheus.js';
import { startDemoService } from './demo-service.js';
import { playgroundUsage, positive, rate } from './flags.js';
import { startLoad } from './load-generator.js';

/**
 * The playground's SLO gate: a demo service under load, a real Prometheus on
 * 127.0.0.1 when one is installed (else the scrape source), and the sample
 * gate evaluated by the same core the action uses.
 */
export async function runGateDemo(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    {
      'error-rate': { type: 'string', default: '0.005' },
      'latency-ms': { type: 'string', default: '5' },
      out: { type: 'string', default: '.playground' },
    },
    playgroundUsage,
    { positionals: false },
  );
  rate('error-rate', values['error-rate'] as string);
  positive('latency-ms', values['latency-ms'] as string);
  const errorRate = Number(values['error-rate']);
  const service = await startDemoService({
    track: 'stable',
    version: '1.0.0',
    errorRate,
    latencyMs: Number(values['latency-ms']),
  });
  const load = startLoad(service.url, 100);
  const usePrometheus = prometheusInstalled();
  const prometheus = usePrometheus
    ? await startPrometheus({ targets: [{ address: `127.0.0.1:${service.port}` }] })
    : undefined;
  const source: SourceConfig = prometheus
    ? { provider: 'prometheus', address: prometheus.url }
    : { provider: 'scrape', targets: [{ url: `${service.url}/metrics` }], interval: '1s' };
  console.log(`demo service on ${service.url} at ${(errorRate * 100).toFixed(2)} % errors, 100 requests/s`);
  console.log(
    `metrics: ${prometheus ? `Prometheus on ${prometheus.url}` : 'scrape source (no prometheus binary found)'}`,
  );
  const metrics = createMetricsSource(source);
  try {
    if (prometheus) await waitForSamples(prometheus.url, 'sum(rate(http_requests_total[10s])) > 0');
    else await metrics.query('up');
    // Let the 10s window fill with traffic before judging it.
    await new Promise((r) => setTimeout(r, 10_000));
    const planned = planGates(loadGateFiles(['playground/gates/demo.yml']), { defaultWindow: '10s', source });
    const report = await evaluateChecks(planned, { sourceFor: () => metrics });
    for (const check of report.checks)
      console.log(`  ${check.status.padEnd(7)} ${check.name}: ${check.reason}`);
    console.log(`gate: ${report.result.toUpperCase()}`);
    mkdirSync(values.out as string, { recursive: true });
    writeFileSync(join(values.out as string, 'gate-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(values.out as string, 'gate-summary.md'), renderGateSummary(report));
    console.log(`job summary written to ${join(values.out as string, 'gate-summary.md')}`);
    return report.result === 'fail' ? 1 : 0;
  } finally {
    await metrics.close?.();
    await load.stop();
    await service.stop();
    await prometheus?.stop();
  }
}
