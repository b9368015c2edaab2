import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clusterRequirementProblems } from '../../src/config/cluster-requirements.js';
import { ConfigurationError } from '../../src/config/errors.js';
import { loadRolloutText } from '../../src/config/load-rollout.js';
import { parseYamlDocuments } from '../../src/config/yaml-document.js';
import { importArgo } from '../../src/import/argo.js';
import { importFlagger } from '../../src/import/flagger.js';
import { type ImportResult, renderImport } from '../../src/import/result.js';
import { hasSharedFixtures, sharedFixture } from '../support/shared-fixtures.js';
import { exampleDocuments, inlineDocuments } from './import-helpers.js';

const PROMETHEUS = 'http://prometheus.monitoring:9090';

/** Every Canary and Rollout document of every example file, with the importer that reads it. */
function examples(): Array<{ name: string; document: number; run: typeof importFlagger }> {
  const dir = sharedFixture('k8s-schemas', 'examples');
  const found: Array<{ name: string; document: number; run: typeof importFlagger }> = [];
  for (const name of readdirSync(dir).sort()) {
    const documents = parseYamlDocuments(readFileSync(`${dir}/${name}`, 'utf8'), name);
    const kinds = documents.map((d) => d.value as { apiVersion?: string; kind?: string });
    const canaries = kinds.filter((v) => v?.kind === 'Canary' && v.apiVersion?.startsWith('flagger.app/'));
    const rollouts = kinds.filter((v) => v?.kind === 'Rollout' && v.apiVersion?.startsWith('argoproj.io/'));
    for (let i = 0; i < canaries.length; i++) found.push({ name, document: i + 1, run: importFlagger });
    for (let i = 0; i < rollouts.length; i++) found.push({ name, document: i + 1, run: importArgo });
  }
  return found;
}

/** The printed config as the canary action reads it: its schema, its queries and its own requirements. */
function actionProblems(result: ImportResult): string[] {
  const text = renderImport(result);
  const spec = loadRolloutText(text, 'imported.yaml');
  return clusterRequirementProblems(spec.config).map((p) => `${p.field}: ${p.message}`);
}

describe.skipIf(!hasSharedFixtures)('imports of the shared Flagger and Argo examples run', () => {
  const cases = hasSharedFixtures ? examples() : [];

  it('finds the examples', () => {
    expect(cases.length).toBeGreaterThan(15);
  });

  it.each(cases.map((c) => [c.name, c.document, c] as const))(
    '%s #%i passes the canary action with --prometheus-url, or is refused at a line with the fix',
    (_name, _document, c) => {
      let result: ImportResult;
      try {
        result = c.run(exampleDocuments(c.name), { document: c.document, prometheusUrl: PROMETHEUS });
      } catch (e: unknown) {
        // Refused: one clear problem at the source line (A/B tests, fragments, routers glidepath lacks).
        expect(e).toBeInstanceOf(ConfigurationError);
        const problem = (e as ConfigurationError).problems[0];
        expect(problem?.file).toContain(c.name);
        expect(problem?.line).toBeGreaterThan(0);
        expect(problem?.message.length).toBeGreaterThan(30);
        return;
      }
      expect(result.required).toEqual([]);
      expect(actionProblems(result)).toEqual([]);
      expect(result.config.analysis?.source).toEqual({ provider: 'prometheus', address: PROMETHEUS });
      // Each note once.
      const keys = result.notes.map((n) => `${n.field}: ${n.message}`);
      expect(new Set(keys).size).toBe(keys.length);

      // Without the flag the same import says exactly what to add, and the action agrees.
      const bare = c.run(exampleDocuments(c.name), { document: c.document });
      if (bare.config.analysis?.source === undefined) {
        expect(bare.required?.map((r) => r.field)).toEqual(['analysis.source']);
        expect(renderImport(bare)).toMatch(
          /# REQUIRED before the canary action accepts this config:\n# - analysis\.source: add it: [\s\S]*?--prometheus-url/,
        );
        expect(actionProblems(bare)).toEqual([expect.stringMatching(/^analysis\.source: is required/)]);
      } else {
        expect(bare.required).toEqual([]);
      }
    },
  );

  it('takes the mesh from what the Canary says, and refuses what glidepath cannot drive', () => {
    const canary = (extra: string, metadata = '') => `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: shop
  namespace: web
${metadata}spec:
${extra}  targetRef: { apiVersion: apps/v1, kind: Deployment, name: shop }
  analysis:
    interval: 1m
    stepWeight: 10
    maxWeight: 50
    metrics:
      - name: request-success-rate
        thresholdRange: { min: 99 }
`;
    const refused = (text: string) => {
      try {
        importFlagger(inlineDocuments(text), { prometheusUrl: PROMETHEUS });
      } catch (e: unknown) {
        if (e instanceof ConfigurationError) return e.problems[0];
      }
      throw new Error('expected a refusal');
    };
    expect(refused(canary(''))).toMatchObject({
      line: 7,
      message: expect.stringMatching(/spec\.provider is absent .* add spec\.provider \(istio, linkerd/),
    });
    expect(
      refused(canary('  ingressRef: { apiVersion: networking.k8s.io/v1, kind: Ingress, name: shop }\n')),
    ).toMatchObject({ field: 'spec.ingressRef', message: expect.stringMatching(/through an Ingress/) });
    expect(refused(canary('', '  annotations:\n    kuma.io/mesh: default\n'))).toMatchObject({
      field: 'metadata.annotations.kuma.io/mesh',
      message: expect.stringMatching(/routed by Kuma/),
    });
    const istio = importFlagger(
      inlineDocuments(canary('  service:\n    port: 80\n    gateways: [public-gateway]\n')),
      { prometheusUrl: PROMETHEUS },
    );
    expect(istio.config.router).toEqual({ provider: 'istio', virtualService: 'shop' });
  });

  it('carries an Argo workloadRef Deployment and refuses any other kind', () => {
    const rollout = (ref: string) => `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: { name: shop-rollout, namespace: web }
spec:
${ref}  strategy:
    canary:
      trafficRouting:
        istio: { virtualService: { name: shop-vs } }
      steps: [{ setWeight: 20 }, { pause: { duration: 1m } }]
`;
    const result = importArgo(
      inlineDocuments(
        rollout(
          '  workloadRef: { apiVersion: apps/v1, kind: Deployment, name: shop, scaleDown: onsuccess }\n',
        ),
      ),
      { prometheusUrl: PROMETHEUS },
    );
    expect(result.config.service).toBe('shop');
    expect(result.notes.map((n) => n.field)).toEqual(
      expect.arrayContaining(['spec.workloadRef.name', 'spec.workloadRef.scaleDown']),
    );
    expect(actionProblems(result)).toEqual([]);
    let problem: unknown;
    try {
      importArgo(
        inlineDocuments(rollout('  workloadRef: { apiVersion: apps/v1, kind: StatefulSet, name: db }\n')),
      );
    } catch (e: unknown) {
      problem = (e as ConfigurationError).problems[0];
    }
    expect(problem).toMatchObject({
      field: 'spec.workloadRef.kind',
      line: 5,
      message: expect.stringMatching(/Deployments only, and this Rollout references the StatefulSet "db"/),
    });
  });

  it('allows names as long as Kubernetes allows them per kind', () => {
    const long = `a${'b'.repeat(100)}`;
    const config = (router: string, service = 'shop') =>
      `service: ${service}\nrouter: ${router}\nanalysis:\n  source: { provider: prometheus, address: ${PROMETHEUS} }\n  checks: [{ name: up, query: up, min: 1 }]\n`;
    // A VirtualService is a custom resource: a DNS subdomain of up to 253 characters.
    expect(
      loadRolloutText(config(`{ provider: istio, virtualService: ${long}.v1 }`), 'r.yaml').config.router,
    ).toEqual({
      provider: 'istio',
      virtualService: `${long}.v1`,
    });
    const refusal = (text: string) => {
      try {
        loadRolloutText(text, 'r.yaml');
      } catch (e: unknown) {
        return (e as ConfigurationError).problems.map((p) => `${p.field}: ${p.message}`);
      }
      return [];
    };
    expect(refusal(config(`{ provider: istio, virtualService: ${'v'.repeat(254)} }`))).toEqual([
      'router.virtualService: must be at most 253 characters (a Kubernetes object name)',
    ]);
    // The service names Services (<service>-primary): an RFC 1035 label of 63 at most.
    expect(refusal(config('{ provider: istio, virtualService: vs }', 's'.repeat(56)))).toEqual([
      expect.stringMatching(
        /^service: must be at most 55 characters: glidepath names Services <service>-primary/,
      ),
    ]);
  });
});
