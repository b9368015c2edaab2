import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/config/errors.js';
import { contextNamespace, loadKubeConfig, makeKubeClients } from '../../src/kube/client.js';
import { type FakeKube, startFakeKube } from '../support/fake-kube/index.js';

const dir = mkdtempSync(join(tmpdir(), 'kube-client-'));

function credentialPlugin(token: string): string {
  const path = join(dir, `cred-${token}.mjs`);
  const credential = {
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: { token },
  };
  writeFileSync(path, `process.stdout.write(${JSON.stringify(JSON.stringify(credential))});\n`);
  return path;
}

describe('loadKubeConfig', () => {
  let kube: FakeKube;
  beforeAll(async () => {
    kube = await startFakeKube({ token: 'secret-token', namespace: 'shop' });
  });
  afterAll(async () => {
    await kube.stop();
  });

  it('reads a path, inline YAML or base64 YAML from the input', async () => {
    for (const input of [
      kube.kubeconfigPath,
      kube.kubeconfigYaml,
      Buffer.from(kube.kubeconfigYaml).toString('base64'),
    ]) {
      const config = loadKubeConfig({ kubeconfig: input, env: {} });
      expect(config.getCurrentCluster()?.server).toBe(kube.url);
      expect(contextNamespace(config)).toBe('shop');
      const { core } = makeKubeClients(config);
      await expect(core.listNamespacedConfigMap({ namespace: 'shop' })).resolves.toMatchObject({ items: [] });
    }
  });

  it('falls back to KUBECONFIG, then ~/.kube/config', () => {
    const fromEnv = loadKubeConfig({
      env: { KUBECONFIG: kube.kubeconfigPath },
      homeDir: join(dir, 'nobody'),
    });
    expect(fromEnv.getCurrentCluster()?.server).toBe(kube.url);
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), kube.kubeconfigYaml);
    expect(loadKubeConfig({ env: {}, homeDir: home }).getCurrentCluster()?.server).toBe(kube.url);
  });

  it('explains what is missing', () => {
    expect(() => loadKubeConfig({ env: {}, homeDir: join(dir, 'nobody') })).toThrow(ConfigurationError);
    expect(() => loadKubeConfig({ env: {}, homeDir: join(dir, 'nobody') })).toThrow(
      /no kubeconfig input, no KUBECONFIG/,
    );
    expect(() => loadKubeConfig({ kubeconfig: join(dir, 'missing.yaml'), env: {} })).toThrow(
      /expected a kubeconfig file at .*missing\.yaml/,
    );
    expect(() => loadKubeConfig({ kubeconfig: kube.kubeconfigPath, context: 'prod', env: {} })).toThrow(
      'context: expected one of the contexts in',
    );
  });

  it('runs exec credential plugins as kubectl does', async () => {
    const good = await startFakeKube({
      token: 'from-plugin',
      exec: { command: process.execPath, args: [credentialPlugin('from-plugin')] },
    });
    const bad = await startFakeKube({
      token: 'from-plugin',
      exec: { command: process.execPath, args: [credentialPlugin('wrong')] },
    });
    try {
      const { core } = makeKubeClients(loadKubeConfig({ kubeconfig: good.kubeconfigPath, env: {} }));
      await expect(core.listNamespacedConfigMap({ namespace: 'default' })).resolves.toMatchObject({
        items: [],
      });
      const refused = makeKubeClients(loadKubeConfig({ kubeconfig: bad.kubeconfigPath, env: {} }));
      await expect(refused.core.listNamespacedConfigMap({ namespace: 'default' })).rejects.toMatchObject({
        code: 401,
      });
    } finally {
      await good.stop();
      await bad.stop();
    }
  });
});
