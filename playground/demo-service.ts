import { createServer, type Server } from 'node:http';
import { Counter, Histogram, Registry } from 'prom-client';

export interface DemoServiceOptions {
  /** Label put on every metric, as a mesh would (stable / canary). */
  track: string;
  version: string;
  /** Share of requests answered 500, 0..1. Errors are spread evenly, not at random, so a rate is exact. */
  errorRate: number;
  /** Added to each answer. */
  latencyMs?: number;
  port?: number;
}

export interface DemoService {
  url: string;
  port: number;
  options: DemoServiceOptions;
  /** Changes the error rate of the running service. */
  setErrorRate(rate: number): void;
  stop(): Promise<void>;
}

/**
 * A tiny HTTP service that exports request metrics with prom-client, as a
 * real service would: `http_requests_total{code,track,version}` and
 * `http_request_duration_seconds` buckets.
 */
export async function startDemoService(options: DemoServiceOptions): Promise<DemoService> {
  const registry = new Registry();
  const labels = { app: 'demo', track: options.track, version: options.version };
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'Requests answered, by status code.',
    labelNames: ['app', 'track', 'version', 'code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer a request.',
    labelNames: ['app', 'track', 'version'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  let errorRate = options.errorRate;
  // Bresenham-style spreading: after n requests exactly floor(n * rate) have failed.
  let served = 0;
  let failed = 0;

  const server: Server = createServer((request, response) => {
    if (request.url === '/metrics') {
      registry.metrics().then((text) => {
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(text);
      });
      return;
    }
    const started = process.hrtime.bigint();
    served++;
    const fail = Math.floor(served * errorRate) > failed;
    if (fail) failed++;
    const answer = () => {
      const code = fail ? 500 : 200;
      response.writeHead(code, { 'content-type': 'text/plain' });
      response.end(fail ? 'injected failure\n' : `hello from ${options.track} ${options.version}\n`);
      requests.inc({ ...labels, code: String(code) });
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    };
    if (options.latencyMs) setTimeout(answer, options.latencyMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    options,
    setErrorRate(rate) {
      errorRate = rate;
      served = 0;
      failed = 0;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
