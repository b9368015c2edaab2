import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoService, startDemoService } from '../../playground/demo-service.js';
import { evaluateChecks, planGates } from '../../src/analysis/gate.js';
import { loadGateTexts } from '../../src/config/load-gates.js';
import { PrometheusSource } from '../../src/metrics/prometheus.js';
import { MetricsUnavailableError, QueryRejectedError } from '../../src/metrics/source.js';
import { type ConnectProxy, startConnectProxy } from '../support/connect-proxy.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { gateFile } from '../support/gate-fixtures.js';
import {
  type PrometheusServer,
  prometheusInstalled,
  startPrometheus,
  waitForSamples,
} from '../support/prometheus.js';

describe.skipIf(!prometheusInstalled())('Prometheus source against the real server', () => {
  let service: DemoService;
  let prometheus: PrometheusServer & AsyncDisposable;
  let proxy: FaultProxy;
  const sleeps: number[] = [];
  const recordSleep = async (ms: number) => {
    sleeps.push(ms);
  };

  beforeAll(async () => {
    service = await startDemoService({ track: 'stable', version: '1', errorRate: 0 });
    prometheus = (await startPrometheus({
      targets: [{ address: `127.0.0.1:${service.port}` }],
    })) as PrometheusServer & AsyncDisposable;
    await waitForSamples(prometheus.url, 'count_over_time(up[10s]) >= 3');
    proxy = await startFaultProxy(prometheus.url);
  });

  afterAll(async () => {
    await proxy?.stop();
    await service?.stop();
    await prometheus?.[Symbol.asyncDispose]();
  });

  it('answers instant and range queries', async () => {
    const source = new PrometheusSource({ address: prometheus.url });
    const [sample] = await source.query('up');
    expect(sample?.value).toBe(1);
    expect(sample?.labels.job).toBe('test');
    expect(await source.query('1 + 1')).toEqual([{ labels: {}, value: 2 }]);
    const end = new Date();
    const series = await source.queryRange('up', {
      start: new Date(end.getTime() - 3_000),
      end,
      stepSeconds: 1,
    });
    expect(series[0]?.points.length).toBeGreaterThanOrEqual(3);
    await source.close();
  });

  it('sends the bearer token, basic credentials and extra headers', async () => {
    proxy.setMode('pass');
    const bearer = new PrometheusSource({
      address: proxy.url,
      bearerToken: 's3cret',
      headers: { 'X-Scope-OrgID': 'team-a' },
    });
    await bearer.query('up');
    expect(proxy.lastHeaders().authorization).toBe('Bearer s3cret');
    expect(proxy.lastHeaders()['x-scope-orgid']).toBe('team-a');
    const basic = new PrometheusSource({ address: proxy.url, basicAuth: { username: 'u', password: 'p' } });
    await basic.query('up');
    expect(proxy.lastHeaders().authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    await bearer.close();
    await basic.close();
  });

  it('retries 500s a bounded number of times with growing back-off, then fails closed', async () => {
    proxy.setMode('status500');
    sleeps.length = 0;
    const before = proxy.requests();
    const source = new PrometheusSource({
      address: proxy.url,
      retry: { retries: 3, backoffMs: 100, sleep: recordSleep },
    });
    await expect(source.query('up')).rejects.toThrow(MetricsUnavailableError);
    await expect(source.query('up')).rejects.toThrow(/after 4 attempts: HTTP 500: injected 500/);
    expect(proxy.requests() - before).toBe(8);
    expect(sleeps.slice(0, 3)).toEqual([100, 200, 400]);
    await source.close();
  });

  it('retries 429 too, and recovers when the server does', async () => {
    proxy.setMode('status429');
    const source = new PrometheusSource({
      address: proxy.url,
      retry: {
        retries: 3,
        sleep: async () => {
          proxy.setMode('pass');
        },
      },
    });
    expect((await source.query('up'))[0]?.value).toBe(1);
    await source.close();
  });

  it('does not retry a query Prometheus rejects (4xx) and shows its error text', async () => {
    proxy.setMode('pass');
    const before = proxy.requests();
    const source = new PrometheusSource({ address: proxy.url, retry: { retries: 3, sleep: recordSleep } });
    await expect(source.query('sum(')).rejects.toThrow(QueryRejectedError);
    await expect(source.query('sum(')).rejects.toThrow(/refused the query \(bad_data\).*parse error/);
    expect(proxy.requests() - before).toBe(2);
    await source.close();
  });

  it('times out a slow server per request and says how long it waited', async () => {
    proxy.setMode('slow', 2_000);
    const source = new PrometheusSource({
      address: proxy.url,
      retry: { retries: 1, timeoutMs: 300, sleep: recordSleep },
    });
    await expect(source.query('up')).rejects.toThrow(/after 2 attempts: no answer within 300 ms/);
    await source.close();
  });

  it('survives dropped connections as retries', async () => {
    proxy.setMode('drop');
    const source = new PrometheusSource({ address: proxy.url, retry: { retries: 2, sleep: recordSleep } });
    await expect(source.query('up')).rejects.toThrow(MetricsUnavailableError);
    await source.close();
  });

  it('a gate fails closed, naming the reason, when Prometheus answers 500 throughout', async () => {
    proxy.setMode('status500');
    const gates = loadGateTexts([{ file: 'g.yml', text: gateFile({ track: 'stable', max: 0.5 }) }]);
    const planned = planGates(gates, {
      defaultWindow: '10s',
      source: { provider: 'prometheus', address: proxy.url },
    });
    const source = new PrometheusSource({ address: proxy.url, retry: { retries: 2, sleep: recordSleep } });
    const report = await evaluateChecks(planned, { sourceFor: () => source });
    expect(report.result).toBe('fail');
    expect(report.checks[0]?.status).toBe('error');
    expect(report.checks[0]?.reason).toMatch(
      /did not answer usefully after 3 attempts: HTTP 500.*failing closed/,
    );
    await source.close();
    proxy.setMode('pass');
  });

  it('honours HTTPS_PROXY/HTTP_PROXY and NO_PROXY as runners set them', async () => {
    let connectProxy: ConnectProxy | undefined;
    try {
      connectProxy = await startConnectProxy();
      const viaProxy = new PrometheusSource({
        address: prometheus.url,
        env: { HTTP_PROXY: connectProxy.url },
      });
      expect((await viaProxy.query('up'))[0]?.value).toBe(1);
      expect(connectProxy.tunnels).toContain(`127.0.0.1:${prometheus.port}`);
      await viaProxy.close();
      const tunnels = connectProxy.tunnels.length;
      const bypass = new PrometheusSource({
        address: prometheus.url,
        env: { HTTP_PROXY: connectProxy.url, NO_PROXY: '127.0.0.1' },
      });
      expect((await bypass.query('up'))[0]?.value).toBe(1);
      expect(connectProxy.tunnels.length).toBe(tunnels);
      await bypass.close();
    } finally {
      await connectProxy?.stop();
    }
  });

  it('fails closed when Prometheus stops mid-run, and works again once it is back', async () => {
    const source = new PrometheusSource({
      address: prometheus.url,
      retry: { retries: 2, sleep: recordSleep, timeoutMs: 2_000 },
    });
    expect((await source.query('up'))[0]?.value).toBe(1);
    await prometheus.stop();
    await expect(source.query('up')).rejects.toThrow(
      /did not answer usefully after 3 attempts: ECONNREFUSED/,
    );
    await prometheus.restart();
    await waitForSamples(prometheus.url, 'up == 1');
    expect((await source.query('up'))[0]?.value).toBe(1);
    await source.close();
  });
});
