import { writeFileSync } from 'node:fs';
import { evaluateChecks, planGates } from '../analysis/gate.js';
import { parseDuration } from '../config/duration.js';
import { formatProblem } from '../config/errors.js';
import { loadGateFiles } from '../config/load-gates.js';
import type { SourceConfig } from '../config/source.js';
import { renderGateSummary } from '../github/gate-summary.js';
import { createMetricsSource } from '../metrics/registry.js';
import type { MetricsSource } from '../metrics/source.js';
import { parseCommandArgs, UsageError } from './args.js';
import { EXIT } from './exit-codes.js';

export const gateUsage = `glidepath gate FILE... [--prometheus-url URL] [--window 5m] [--var name=value]... [--report FILE] [--markdown FILE]
  Evaluates Gate and OpenSLO files like the slo-gate action; the bearer token comes from PROMETHEUS_TOKEN.
  --prometheus-url  the Prometheus to query, instead of the files' own source
  --window          the window judged when a file sets none (default 5m)
  --var             a value for {{name}} in the queries (repeatable)
  --report, --markdown  also write the JSON report / the job summary Markdown
  Exit code 0 pass, 1 fail, 2 warn, 3 invalid file, 64 usage error.`;

export async function gateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      'prometheus-url': { type: 'string' },
      window: { type: 'string' },
      var: { type: 'string', multiple: true },
      report: { type: 'string' },
      markdown: { type: 'string' },
    },
    gateUsage,
  );
  if (positionals.length === 0) {
    throw new UsageError(
      'needs at least one FILE: a Gate (glidepath.dev/v1) or OpenSLO YAML file',
      gateUsage,
    );
  }
  const window = values.window ?? '5m';
  if (parseDuration(window) === undefined) {
    throw new UsageError(
      `--window ${JSON.stringify(window)} is not a duration: write e.g. 30s, 5m or 1h`,
      gateUsage,
    );
  }
  const vars: Record<string, string> = {};
  for (const pair of values.var ?? []) {
    const at = pair.indexOf('=');
    if (at < 1)
      throw new UsageError(`--var ${JSON.stringify(pair)} must be name=value, e.g. --var service=payments`);
    vars[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const url = values['prometheus-url'];
  if (url !== undefined && !/^https?:\/\/\S+$/.test(url)) {
    throw new UsageError(
      `--prometheus-url ${JSON.stringify(url)} must be an http(s) URL, e.g. http://127.0.0.1:9090`,
    );
  }
  const gates = loadGateFiles(positionals, {
    notice: (problem) => console.error(`notice: ${formatProblem(problem)}`),
  });
  const override: SourceConfig | undefined = url ? { provider: 'prometheus', address: url } : undefined;
  const planned = planGates(gates, { defaultWindow: window, vars, source: override });
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
    return report.result === 'pass' ? EXIT.ok : report.result === 'fail' ? EXIT.failed : EXIT.warn;
  } finally {
    for (const source of sources.values()) await source.close?.();
  }
}
