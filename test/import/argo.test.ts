import { describe, expect, it } from 'vitest';
import { importArgo } from '../../src/import/argo.js';
import { parseConditions } from '../../src/import/argo-conditions.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import {
  configurationError,
  exampleDocuments,
  inlineDocuments,
  notesAbout,
  printed,
} from './import-helpers.js';

describe.skipIf(!hasSharedFixtures)('importArgo on the real Argo Rollouts examples', () => {
  it('turns setWeight/pause steps into steps and one interval, and says what it assumed', () => {
    const result = importArgo(exampleDocuments('argo-rollouts__examples_rollout-canary.yaml'));
    const { config, text } = printed(result);
    expect(config.service).toBe('rollout-canary');
    expect(config.steps).toEqual([20, 40, 60, 80]);
    expect(config.interval).toBe('40s');
    expect(config.router).toEqual({ provider: 'gateway-api', httpRoute: 'rollout-canary' });
    expect(notesAbout(result, /replica counts/)).toEqual(['spec.strategy.canary.trafficRouting']);
    expect(notesAbout(result, /indefinite pause/)).toEqual(['spec.strategy.canary.steps[1]']);
    expect(notesAbout(result, /pauses of 40s, 20s, 20s/)).toHaveLength(1);
    expect(notesAbout(result, /built-in error-rate check/)).toEqual(['spec.strategy.canary']);
    expect(text).toContain('# Imported from Argo Rollouts Rollout rollout-canary');
  });

  it('imports Istio subset and host splits, keeping the VirtualService, route and DestinationRule', () => {
    const subset = printed(
      importArgo(exampleDocuments('argo-rollouts__examples_istio_istio-subset-split.yaml')),
    );
    expect(subset.config.router).toEqual({
      provider: 'istio',
      virtualService: 'istio-subset-split-vsvc',
      route: 'primary',
      destinationRule: 'istio-subset-split-destrule',
    });
    expect(subset.config.steps).toEqual([10]);
    expect(subset.config.analysis?.checks[0]?.query).toContain('istio_requests_total');

    const host = importArgo(exampleDocuments('argo-rollouts__test_e2e_istio_istio-host-split.yaml'));
    expect(printed(host).config.router).toEqual({
      provider: 'istio',
      virtualService: 'istio-host-split-vsvc',
      route: 'primary',
    });
    expect(notesAbout(host, /split by host/)).toHaveLength(1);
    expect(notesAbout(host, /^spec\.strategy\.canary\.(canary|stable)Service:/)).toHaveLength(2);

    const multiple = importArgo(exampleDocuments('argo-rollouts__docs_getting-started_istio_rollout.yaml'));
    expect(printed(multiple).config.router).toMatchObject({ virtualService: 'rollouts-demo-vsvc1' });
    expect(notesAbout(multiple, /only "rollouts-demo-vsvc1" carried over/)).toHaveLength(1);
  });

  it('imports the SMI (Linkerd) rollout with Linkerd metrics', () => {
    const result = importArgo(
      exampleDocuments('argo-rollouts__examples_traffic-management_rollout-linkerd.yaml'),
    );
    const { config } = printed(result);
    expect(config.router).toEqual({ provider: 'smi', trafficSplit: 'rollout-linkerd' });
    expect(config.analysis?.checks[0]?.query).toContain('response_total');
    expect(notesAbout(result, /rootService/)).toHaveLength(1);
  });

  it('names analysis templates that are not in the file', () => {
    const result = importArgo(exampleDocuments('argo-rollouts__examples_rollout-analysis-step.yaml'));
    printed(result);
    expect(notesAbout(result, /AnalysisTemplate random-fail not carried over/)).toHaveLength(1);
    expect(notesAbout(result, /ClusterAnalysisTemplate always-pass not carried over/)).toHaveLength(1);
  });

  it('refuses what glidepath cannot do, with file and line', () => {
    const appmesh = configurationError(() =>
      importArgo(exampleDocuments('argo-rollouts__examples_appmesh_canary-rollout.yaml')),
    );
    expect(appmesh.problems[0]).toMatchObject({ field: 'spec.strategy.canary.trafficRouting', line: 49 });
    expect(appmesh.message).toContain('no router for trafficRouting appMesh');

    const experiment = configurationError(() =>
      importArgo(exampleDocuments('argo-rollouts__examples_rollout-baseline-vs-canary.yaml')),
    );
    expect(experiment.problems[0]).toMatchObject({ field: 'spec.strategy.canary.steps', line: 29 });
    expect(experiment.message).toContain('no setWeight step');

    const noRollout = configurationError(() =>
      importArgo(exampleDocuments('argo-rollouts__examples_analysis-templates.yaml')),
    );
    expect(noRollout.message).toContain('no Argo Rollouts Rollout document found');
  });
});

const rollout = (analysis: string) => `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: { name: shop, namespace: web }
spec:
  strategy:
    canary:
      trafficRouting:
        plugins:
          argoproj-labs/gatewayAPI: { httpRoute: shop-route, namespace: web }
      steps:
        - setWeight: 10
        - pause: { duration: 5m }
        - setWeight: 50
        - pause: { duration: 300 }
        - analysis:
${analysis}
`;

const template = `---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: { name: checks, namespace: web }
spec:
  args:
    - name: service-name
    - name: quantile
      value: "0.99"
  metrics:
    - name: success-rate
      interval: 1m
      failureLimit: 3
      successCondition: result[0] >= 0.95
      provider:
        prometheus:
          address: http://prometheus.monitoring:9090
          query: sum(rate(http_requests_total{service="{{args.service-name}}",code!~"5.."}[5m])) / sum(rate(http_requests_total{service="{{args.service-name}}"}[5m]))
    - name: p99 latency
      failureCondition: result[0] >= 0.4
      provider:
        prometheus:
          query: histogram_quantile({{args.quantile}}, sum(rate(http_request_duration_seconds_bucket{service="{{args.service-name}}"}[5m])) by (le))
    - name: fancy
      successCondition: len(result) == 0 || result[0] < 5
      provider:
        prometheus:
          query: sum(up)
    - name: dd
      successCondition: default(result, 0) < 10
      provider:
        datadog:
          query: sum:requests.error.rate{service:shop}
    - name: smoke
      provider:
        web:
          url: http://smoke.example/
`;

describe('importArgo edge cases', () => {
  it('carries prometheus metrics over with args as vars, and notes every other provider and condition', () => {
    const analysis = `            templates: [{ templateName: checks }]
            args: [{ name: service-name, value: shop-canary }]`;
    const result = importArgo(inlineDocuments(rollout(analysis) + template));
    const { config } = printed(result);
    expect(config.router).toEqual({ provider: 'gateway-api', httpRoute: 'shop-route' });
    expect(config.steps).toEqual([10, 50]);
    expect(config.interval).toBe('5m');
    expect(config.vars).toEqual({ service_name: 'shop-canary', quantile: '0.99' });
    expect(config.analysis?.source).toEqual({
      provider: 'prometheus',
      address: 'http://prometheus.monitoring:9090',
    });
    const [success, latency, ...rest] = config.analysis?.checks ?? [];
    expect(rest).toEqual([]);
    expect(success).toMatchObject({ name: 'success-rate', min: 0.95 });
    expect(success?.query).toContain('service="{{service_name}}"');
    expect(latency).toMatchObject({ name: 'p99-latency', max: 0.4 });
    expect(notesAbout(result, /renamed p99-latency/)).toHaveLength(1);
    expect(latency?.query).toContain('histogram_quantile({{quantile}},');
    const field = (i: number) => `AnalysisTemplate checks.spec.metrics[${i}]`;
    expect(notesAbout(result, /failureLimit 3/)).toEqual([field(0)]);
    expect(notesAbout(result, /strict comparison/)).toEqual([field(1)]);
    expect(notesAbout(result, /not a simple comparison/)).toEqual([field(2)]);
    expect(notesAbout(result, /datadog provider/)).toEqual([field(3)]);
    expect(notesAbout(result, /web provider/)).toEqual([field(4)]);
  });

  it('leaves a check out, and says why, when an arg has no value', () => {
    const result = importArgo(
      inlineDocuments(rollout('            templates: [{ templateName: checks }]') + template),
    );
    const { config } = printed(result);
    expect(config.analysis?.checks.map((c) => c.name)).toEqual(['error-rate']);
    expect(notesAbout(result, /no value for args service-name/)).toHaveLength(2);
  });

  it('refuses a blueGreen rollout and a wrong apiVersion, at their lines', () => {
    const blueGreen = configurationError(() =>
      importArgo(
        inlineDocuments(
          'apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: { name: shop }\nspec:\n  strategy:\n    blueGreen: { activeService: shop }\n',
        ),
      ),
    );
    expect(blueGreen.problems[0]).toMatchObject({ line: 6, field: 'spec.strategy' });
    expect(blueGreen.message).toContain('blueGreen');
    const wrong = configurationError(() =>
      importArgo(inlineDocuments('apiVersion: apps/v1\nkind: Rollout\nmetadata: { name: shop }\n')),
    );
    expect(wrong.problems[0]).toMatchObject({ line: 1, field: 'apiVersion' });
  });
});

describe('parseConditions', () => {
  it('reads simple comparisons both ways round and joined', () => {
    expect(parseConditions('result[0] >= 0.95', undefined)).toEqual({ min: 0.95 });
    expect(parseConditions('0.01 >= result[0]', undefined)).toEqual({ max: 0.01 });
    expect(parseConditions('result >= 1 && result <= 5', undefined)).toEqual({ min: 1, max: 5 });
    expect(parseConditions(undefined, 'result[0] < 0.9 || result[0] >= 2')).toEqual({
      min: 0.9,
      max: 2,
      note: 'a strict comparison (< or >) became an inclusive bound (max or min)',
    });
  });

  it('throws on anything else, quoting the condition', () => {
    expect(() => parseConditions('isNaN(result[0]) || result[0] >= 0.9', undefined)).toThrow(
      /"isNaN\(result\[0\]\) \|\| result\[0\] >= 0.9" is not a simple comparison/,
    );
    expect(() => parseConditions(undefined, undefined)).toThrow(
      /neither successCondition nor failureCondition/,
    );
  });
});
