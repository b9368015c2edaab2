import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { evaluateChecks, planGates } from '../analysis/gate.js';
import { loadGateFiles } from '../config/load-gates.js';
import type { SourceConfig } from '../config/source.js';
import { renderGateSummary } from '../github/gate-summary.js';
import { createMetricsSource } from '../metrics/registry.js';
import type { MetricsSource } from '../metrics/source.js';

export const gateUsage = `glidepath gate FILE... [--prometheus-url URL] [--window 5m] [--var name=value]... [--report FILE] [--markdown FILE]
  Evaluates Gate / OpenSLO files like the slo-gate action; the token comes from PROMETHEUS_TOKEN.
  Exit code 0 pass, 1 fail, 2 warn, 3 configuration error.`;

export async function gateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'prometheus-url': { type: 'string' },
      window: { type: 'string', default: '5m' },
      var: { type: 'string', multiple: true, default: [] },
      report: { type: 'string' },
      markdown: { type: 'string' },
    },
  });
  const vars = Object.fromEntries(
    (values.var ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
  const gates = loadGateFiles(positionals);
  const url = values['prometheus-url'];
  const override: SourceConfig | undefined = url ? { provider: 'prometheus', address: url } : undefined;
  const planned = planGates(gates, { defaultWindow: values.window ?? '5m', vars, source: override });
  const sources = new Map<string, MetricsSource>();
  try {
    const report = await evaluateChecks(planned, {
      sourceFor: (config) => {
        const key = JSON.stringify(config);
        const source =
          sources.get(key) ?? createMetricsSource(config, { bearerToken: process.env.PROMETHEUS_TOKEN });
        sources.set(key, source);
        return source;
      },
    });
    for (const check of report.checks)
      console.log(`${check.status.padEnd(7)} ${check.gate}/${check.name}: ${check.reason}`);
    console.log(`gate: ${report.result}`);
    if (values.report) writeFileSync(values.report, `${JSON.stringify(report, null, 2)}\n`);
    if (values.markdown) writeFileSync(values.markdown, renderGateSummary(report));
    return report.result === 'pass' ? 0 : report.result === 'fail' ? 1 : 2;
  } finally {
    for (const source of sources.values()) await source.close?.();
  }
}
