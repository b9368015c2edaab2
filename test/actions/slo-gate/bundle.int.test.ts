import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoService, startDemoService } from '../../../playground/demo-service.js';
import { type LoadGenerator, startLoad } from '../../../playground/load-generator.js';
import { runBundledAction } from '../../support/action-runner.js';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy.js';
import { gateFile, sloFile } from '../../support/gate-fixtures.js';
import {
  type PrometheusServer,
  prometheusInstalled,
  startPrometheus,
  waitForSamples,
} from '../../support/prometheus.js';

const bundle = 'dist/slo-gate/index.js';

// The committed bundle, run as the runner runs it: INPUT_* variables, file
// commands for outputs and the summary, and the exit code as the verdict.
describe.skipIf(!prometheusInstalled())('slo-gate action bundle', () => {
  let service: DemoService;
  let load: LoadGenerator;
  let prometheus: PrometheusServer & AsyncDisposable;
  let proxy: FaultProxy;
  const workspace = mkdtempSync(join(tmpdir(), 'glidepath-slo-gate-'));

  beforeAll(async () => {
    service = await startDemoService({ track: 'stable', version: '1', errorRate: 0.02 });
    load = startLoad(service.url, 100);
    prometheus = (await startPrometheus({
      targets: [{ address: `127.0.0.1:${service.port}` }],
    })) as PrometheusServer & AsyncDisposable;
    await waitForSamples(prometheus.url, 'sum(rate(http_requests_total[10s])) > 0');
    await new Promise((r) => setTimeout(r, 2_000));
    proxy = await startFaultProxy(prometheus.url);
    writeFileSync(join(workspace, 'pass.yml'), gateFile({ track: 'stable', max: 0.05 }));
    writeFileSync(join(workspace, 'fail.yml'), gateFile({ track: 'stable', max: 0.01 }));
    writeFileSync(join(workspace, 'warn.yml'), gateFile({ track: 'stable', max: 0.05, warnMax: 0.01 }));
    writeFileSync(join(workspace, 'slo.yml'), sloFile({ track: 'stable', target: 0.95 }));
    writeFileSync(
      join(workspace, 'vars.yml'),
      gateFile({ track: '{{track}}', max: 0.05 }).replace('    track: {{track}}\n', '    track: x\n'),
    );
  });

  afterAll(async () => {
    await proxy?.stop();
    await load?.stop();
    await service?.stop();
    await prometheus?.[Symbol.asyncDispose]();
  });

  it('passes an OpenSLO file and a Gate file, writing outputs, a JSON report and a summary table', async () => {
    const run = await runBundledAction(bundle, {
      cwd: workspace,
      inputs: {
        slos: 'slo.yml, pass.yml',
        'prometheus-url': prometheus.url,
        window: '10s',
        'fail-on': 'fail',
      },
    });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.result).toBe('pass');
    const report = JSON.parse(readFileSync(run.outputs.report as string, 'utf8'));
    expect(report.checks.map((c: { gate: string }) => c.gate)).toEqual(['demo-availability', 'demo']);
    expect(report.checks[0].query).toContain('increase(http_requests_total');
    expect(run.summary).toContain('### SLO gate: PASS');
    expect(run.summary).toMatch(
      /\| `demo-availability\/availability` \| ✅ pass \| 9\d(\.\d+)? % \| ≥ 95 % \|/,
    );
  });

  it('fails the step naming the failing check, with an annotation on its file', async () => {
    const run = await runBundledAction(bundle, {
      cwd: workspace,
      inputs: { slos: 'fail.yml', 'prometheus-url': prometheus.url, window: '10s', 'fail-on': 'fail' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.result).toBe('fail');
    expect(run.stdout).toMatch(
      /::error title=SLO check fail,file=fail.yml,line=10::demo\/error-rate: 0\.0\d+ is above the maximum 0.01/,
    );
    expect(run.stdout).toMatch(/SLO gate fail: demo\/error-rate/);
  });

  it('passes a warn unless fail-on is warn', async () => {
    const relaxed = await runBundledAction(bundle, {
      cwd: workspace,
      inputs: { slos: 'warn.yml', 'prometheus-url': prometheus.url, window: '10s', 'fail-on': 'fail' },
    });
    expect(relaxed.exitCode).toBe(0);
    expect(relaxed.outputs.result).toBe('warn');
    const strict = await runBundledAction(bundle, {
      cwd: workspace,
      inputs: { slos: 'warn.yml', 'prometheus-url': prometheus.url, window: '10s', 'fail-on': 'warn' },
    });
    expect(strict.exitCode).toBe(1);
  });

  it('masks the token and never prints it', async () => {
    const run = await runBundledAction(bundle, {
      cwd: workspace,
      inputs: {
        slos: 'pass.yml',
        'prometheus-url': proxy.url,
        'prometheus-token': 'tok-3x4mpl3',
        window: '10s',
        'fail-on': 'fail',
      },
    });
    expect(run.exitCode).toBe(0);
    expect(proxy.lastHeaders().authorization).toBe('Bearer tok-3x4mpl3');
    expect(run.stdout).toContain('::add-mask::tok-3x4mpl3');
    expect(run.stdout.replace('::add-mask::tok-3x4mpl3', '')).not.toContain('tok-3x4mpl3');
    expect(readFileSync(run.outputs.report as string, 'utf8')).not.toContain('tok-3x4mpl3');
  });

  it('fails closed when Prometheus answers 500, saying why', async () => {
    proxy.setMode('status500');
    const run = await runBundledAction(bundle, {
      cwd: workspace,
      inputs: { slos: 'pass.yml', 'prometheus-url': proxy.url, window: '10s', 'fail-on': 'fail' },
    });
    proxy.setMode('pass');
    expect(run.exitCode).toBe(1);
    expect(run.outputs.result).toBe('fail');
    expect(run.stdout).toMatch(/did not answer usefully after 4 attempts: HTTP 500/);
  }, 60_000);

  const badInputs: Array<[string, Record<string, string>, RegExp]> = [
    [
      'an injection through vars',
      { slos: 'vars.yml', vars: `track: 'x"} or vector(1) #'` },
      /::error title=glidepath configuration,file=vars.yml,line=10::spec.checks\[0\].query: the value of \{\{track\}\}/,
    ],
    ['a bad window', { slos: 'pass.yml', window: 'soon' }, /window: must be a duration/],
    ['a bad fail-on', { slos: 'pass.yml', 'fail-on': 'sometimes' }, /fail-on: must be fail, warn or never/],
    ['a glob that matches nothing', { slos: 'nothing/*.yml' }, /"nothing\/\*.yml" matches no file/],
    ['vars that are not a map', { slos: 'pass.yml', vars: '- a\n- b' }, /vars: must be a YAML map/],
  ];
  it.each(badInputs)('refuses %s with a clear error and sends no query', async (_name, inputs, pattern) => {
    const before = proxy.requests();
    const run = await runBundledAction(bundle, {
      cwd: workspace,
      inputs: { 'prometheus-url': proxy.url, window: '10s', 'fail-on': 'fail', ...inputs },
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(pattern);
    expect(proxy.requests()).toBe(before);
  });
});
