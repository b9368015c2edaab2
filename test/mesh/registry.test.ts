import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/config/errors.js';
import type { RouterConfig } from '../../src/config/rollout.js';
import { loadKubeConfig, makeKubeClients } from '../../src/kube/client.js';
import { createRouter } from '../../src/mesh/registry.js';

const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'http://127.0.0.1:1', insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`;
const context = {
  target: { service: 'payments', namespace: 'shop' },
  kube: makeKubeClients(loadKubeConfig({ kubeconfig })),
};

describe('createRouter', () => {
  it('picks the router by provider name', () => {
    expect(createRouter({ provider: 'istio', virtualService: 'payments' }, context).provider).toBe('istio');
    expect(createRouter({ provider: 'gateway-api', httpRoute: 'payments' }, context).provider).toBe(
      'gateway-api',
    );
    expect(createRouter({ provider: 'smi' }, context).provider).toBe('smi');
  });

  it('refuses an unknown provider instead of falling back', () => {
    const config = { provider: 'linkerd' } as unknown as RouterConfig;
    expect(() => createRouter(config, context)).toThrow(ConfigurationError);
    expect(() => createRouter(config, context)).toThrow(
      /must be one of "istio", "gateway-api", "smi", "local", found "linkerd"/,
    );
  });

  it('refuses the local router outside the playground', () => {
    expect(() => createRouter({ provider: 'local' }, context)).toThrow(/only under `glidepath playground`/);
  });
});
