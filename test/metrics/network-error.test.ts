import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctokit } from '../../src/github/octokit.js';
import { defaultRetryPolicy, requestWithRetry } from '../../src/metrics/http-client.js';

// Real sockets on 127.0.0.1: the errors are the ones undici and Node really raise, not hand-made objects.
describe('network errors name their cause and the host', () => {
  let closedPort: number;
  let plain: Server;
  let silent: Server;
  const policy = { ...defaultRetryPolicy, retries: 0, timeoutMs: 300, sleep: async () => {} };

  beforeAll(async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    plain = createServer((_req, res) => res.end('plain http'));
    silent = createServer(() => {}); // accepts and never answers
    for (const server of [plain, silent]) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    silent.closeAllConnections();
    for (const server of [plain, silent]) await new Promise((r) => server.close(r));
  });

  const attempt = (url: string): Promise<Error> =>
    requestWithRetry(
      new URL(url),
      { method: 'GET', headers: {} },
      policy,
      new Agent(),
      'Prometheus at test',
    ).then(
      () => new Error('answered'),
      (e: unknown) => e as Error,
    );

  it('refused: the code, the address that refused, never a bare "fetch failed"', async () => {
    const error = await attempt(`http://127.0.0.1:${closedPort}/api/v1/query`);
    expect(error.message).toMatch(/ECONNREFUSED \(connection refused by 127\.0\.0\.1:\d+/);
    expect(error.message).not.toMatch(/fetch failed/);
  });

  it('DNS: a name that does not resolve says so and names the host', async () => {
    const error = await attempt('http://prometheus.glidepath.invalid:9090/api/v1/query');
    expect(error.message).toMatch(/(ENOTFOUND|EAI_AGAIN) \(DNS: .*prometheus\.glidepath\.invalid/);
  });

  it('TLS: https to a plain-http server names the failed handshake', async () => {
    const port = (plain.address() as AddressInfo).port;
    const error = await attempt(`https://127.0.0.1:${port}/`);
    expect(error.message).toMatch(/TLS: the handshake with .* failed/);
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  it('timeout: a server that never answers is named with the time waited', async () => {
    const port = (silent.address() as AddressInfo).port;
    const error = await attempt(`http://127.0.0.1:${port}/`);
    expect(error.message).toMatch(
      new RegExp(`no answer within 300 ms \\(timeout\\), requesting 127\\.0\\.0\\.1:${port}`),
    );
  });

  it('the GitHub API client: a refused connection names the cause and the API host', async () => {
    const octokit = createOctokit('token', `http://127.0.0.1:${closedPort}`);
    const error = await octokit.rest.repos.get({ owner: 'shop', repo: 'payments' }).then(
      () => new Error('answered'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toMatch(/GitHub API request GET \/repos\/\{owner\}\/\{repo\} failed: ECONNREFUSED/);
    expect(error.message).toContain(`127.0.0.1:${closedPort}`);
  });
});
