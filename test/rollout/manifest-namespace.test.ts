import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigurationError } from '../../src/config/errors.js';
import { readDeploymentManifest } from '../../src/rollout/manifest.js';

function deployment(namespace: string | undefined, image: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'payments', ...(namespace ? { namespace } : {}) },
    spec: {
      selector: { matchLabels: { app: 'payments' } },
      template: {
        metadata: { labels: { app: 'payments' } },
        spec: { containers: [{ name: 'payments', image }] },
      },
    },
  };
}

const manifest = (...docs: object[]) => docs.map((d) => stringify(d)).join('---\n');

function problemsOf(f: () => unknown) {
  try {
    f();
  } catch (e: unknown) {
    if (e instanceof ConfigurationError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigurationError');
}

describe("the service's Deployment in a manifest with several namespaces", () => {
  const text = manifest(deployment('staging', 'staging:1'), deployment('payments', 'prod:1'));

  it("takes the one in the rollout's namespace, not the first", () => {
    const chosen = readDeploymentManifest(text, 'out.yaml', 'payments', 'payments');
    expect(chosen.spec?.template.spec?.containers[0]?.image).toBe('prod:1');
  });

  it("refuses when none is in the rollout's namespace, naming the namespaces found", () => {
    const problems = problemsOf(() => readDeploymentManifest(text, 'out.yaml', 'payments', 'shop'));
    expect(problems[0]?.file).toBe('out.yaml');
    expect(problems[0]?.message).toMatch(
      /namespaces staging, payments but none in the rollout's namespace "shop"/,
    );
  });

  it('refuses a single Deployment rendered for another namespace, at its metadata.namespace line', () => {
    const problems = problemsOf(() =>
      readDeploymentManifest(manifest(deployment('staging', 'x:1')), 'out.yaml', 'payments', 'shop'),
    );
    expect(problems[0]).toMatchObject({ file: 'out.yaml', field: 'metadata.namespace', line: 5 });
  });

  it('takes one without a namespace (kubectl would apply it to the rollout namespace)', () => {
    const chosen = readDeploymentManifest(
      manifest(deployment('staging', 'staging:1'), deployment(undefined, 'mine:1')),
      'out.yaml',
      'payments',
      'shop',
    );
    expect(chosen.spec?.template.spec?.containers[0]?.image).toBe('mine:1');
  });
});
