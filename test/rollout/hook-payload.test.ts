import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRolloutText } from '../../src/config/load-rollout.js';
import { callHook } from '../../src/rollout/hooks.js';

describe('the rollout hook as a load-generator webhook', () => {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      bodies.push(JSON.parse(text));
      res.end('ok');
    });
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sends Flagger's webhook payload (name, namespace, phase, metadata), which Flagger's load tester runs", async () => {
    const spec = loadRolloutText(
      `service: payments
namespace: shop
router: { provider: local }
analysis: { preset: demo }
hooks:
  rollout:
    url: ${url}
    metadata: { type: cmd, cmd: "hey -z 1m -q 10 -c 2 http://payments-canary.shop/" }
`,
      'payments.yaml',
    );
    const hook = spec.hooks.rollout;
    if (!hook) throw new Error('no rollout hook');
    const result = await callHook('rollout', hook, { service: 'payments', namespace: 'shop', step: 1 });
    expect(result.ok).toBe(true);
    expect(bodies.at(-1)).toEqual({
      phase: 'rollout',
      name: 'payments',
      service: 'payments',
      namespace: 'shop',
      step: 1,
      metadata: { type: 'cmd', cmd: 'hey -z 1m -q 10 -c 2 http://payments-canary.shop/' },
    });
  });
});
