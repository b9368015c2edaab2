import { createServer } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { describeApiError, isNotFound } from '../../src/kube/api-status.js';
import { makeKubeClients } from '../../src/kube/client.js';
import { withRequestScope } from '../../src/kube/request-scope.js';
import { type FakeKube, startFakeKube } from '../support/fake-kube/index.js';

const TOKEN = 'sekret-token-abc123';

function kubeconfigFor(server: string, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
  return kc;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

// One translation of API and network errors (src/kube/api-errors.ts) for annotations, logs and the report.
describe('API and network errors as a person reads them', () => {
  let fake: FakeKube;
  beforeAll(async () => {
    fake = await startFakeKube({ token: TOKEN });
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('a wrong token: the request, the server and the fix; no HTTP dump, no headers, no token', async () => {
    const kube = makeKubeClients(kubeconfigFor(fake.url, 'wrong-token-xyz'));
    const error = await kube.apps
      .readNamespacedDeployment({ name: 'payments', namespace: 'shop' })
      .catch((e: unknown) => e);
    const text = describeApiError(error);
    expect(text).toMatch(
      /^read Deployment shop\/payments failed: the API server at 127\.0\.0\.1:\d+ answered 401 Unauthorized.*log in again/,
    );
    expect(text).not.toMatch(/HTTP-Code|Headers|content-type|wrong-token-xyz|sekret/i);
    expect(text.split('\n')).toHaveLength(1);
  });

  it('nothing listening: "cannot reach" with host, port and cause instead of "fetch failed"', async () => {
    const port = await closedPort();
    const kube = makeKubeClients(kubeconfigFor(`http://127.0.0.1:${port}`, TOKEN));
    const error = await kube.objects
      .replace({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'payments-canary', namespace: 'shop' },
      })
      .catch((e: unknown) => e);
    expect(describeApiError(error)).toBe(
      `replace Deployment shop/payments-canary failed: cannot reach the API server at 127.0.0.1:${port}: ECONNREFUSED (nothing listens there; check the kubeconfig server address and that the cluster is up)`,
    );
  });

  it('a request the server holds past the timeout fails in time, and a 404 is still a 404', async () => {
    const kube = makeKubeClients(kubeconfigFor(fake.url, TOKEN));
    fake.injectFault({ kind: 'slow', delayMs: 5_000, plural: 'deployments', verb: 'get' });
    const started = Date.now();
    const error = await withRequestScope({ requestTimeoutMs: 300 }, () =>
      kube.apps.readNamespacedDeployment({ name: 'payments', namespace: 'shop' }),
    ).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(describeApiError(error)).toMatch(
      /^read Deployment shop\/payments failed: the API server at .* did not answer in time/,
    );
    fake.clearFaults();
    const missing = await kube.apps
      .readNamespacedDeployment({ name: 'ghost', namespace: 'shop' })
      .catch((e: unknown) => e);
    expect(isNotFound(missing)).toBe(true);
  });

  it('a cancelled scope stops requests before they are sent', async () => {
    const kube = makeKubeClients(kubeconfigFor(fake.url, TOKEN));
    const cancel = new AbortController();
    cancel.abort(new Error('the job was cancelled'));
    const before = fake.requests.length;
    const error = await withRequestScope({ signal: cancel.signal }, () =>
      kube.apps.readNamespacedDeployment({ name: 'payments', namespace: 'shop' }),
    ).catch((e: unknown) => e);
    expect(describeApiError(error)).toBe(
      'read Deployment shop/payments failed: cut short: the job was cancelled',
    );
    expect(fake.requests.length).toBe(before);
  });
});
