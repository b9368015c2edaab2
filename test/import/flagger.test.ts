import { describe, expect, it } from 'vitest';
import { importFlagger } from '../../src/import/flagger.js';
import { renderImport } from '../../src/import/result.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import {
  configurationError,
  exampleDocuments,
  inlineDocuments,
  notesAbout,
  printed,
} from './import-helpers.js';

describe.skipIf(!hasSharedFixtures)('importFlagger on the real Flagger examples', () => {
  it('turns the Istio canary into steps, the built-in checks as Istio PromQL, and hooks', () => {
    const result = importFlagger(exampleDocuments('flagger__artifacts_examples_istio-canary.yaml'));
    const { config, text } = printed(result);
    expect(config.service).toBe('podinfo');
    expect(config.namespace).toBe('test');
    expect(config.router).toEqual({ provider: 'istio', virtualService: 'podinfo' });
    expect(config.steps).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
    expect(config.interval).toBe('15s');
    expect(config.readyTimeout).toBe('10m');
    const [errors, latency] = config.analysis?.checks ?? [];
    expect(errors).toMatchObject({ name: 'error-rate', max: 0.01, window: '1m' });
    expect(errors?.query).toContain('istio_requests_total{reporter="destination"');
    expect(errors?.query).toContain('destination_workload="{{service}}-canary"');
    expect(latency).toMatchObject({ name: 'latency-p99', max: 500, window: '30s' });
    expect(latency?.query).toContain('istio_request_duration_milliseconds_bucket');
    expect(config.hooks?.['pre-rollout']).toEqual({
      url: 'http://flagger-loadtester.test/',
      gating: true,
      timeout: '15s',
    });
    expect(config.hooks?.rollout).toMatchObject({ url: 'http://flagger-loadtester.test/', timeout: '5s' });
    expect(notesAbout(result, /threshold/)).toEqual(['spec.analysis.threshold']);
    expect(notesAbout(result, /autoscalerRef/)).toEqual(['spec.autoscalerRef']);
    expect(notesAbout(result, /metadata/)).toHaveLength(2);
    expect(text).toMatch(/^# Imported from Flagger Canary podinfo \(.*istio-canary\.yaml:1\)/);
    expect(text).toContain('# - spec.analysis.threshold: Flagger rolls back after 10 failed checks');
  });

  it('imports Linkerd canaries as an SMI TrafficSplit with Linkerd metrics, from stepWeights too', () => {
    const stepped = printed(
      importFlagger(exampleDocuments('flagger__artifacts_examples_linkerd-canary-steps.yaml')),
    );
    expect(stepped.config.steps).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55]);
    expect(stepped.config.router).toEqual({
      provider: 'smi',
      trafficSplit: 'podinfo',
      apiVersion: 'split.smi-spec.io/v1alpha2',
    });
    expect(stepped.config.analysis?.checks[0]?.query).toContain('response_total{');
    expect(stepped.config.analysis?.checks[1]?.query).toContain('response_latency_ms_bucket');
    const linear = printed(
      importFlagger(exampleDocuments('flagger__artifacts_examples_linkerd-canary.yaml')),
    );
    expect(linear.config.steps).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
  });

  it('carries MetricTemplate queries over with Flagger variables translated (Gateway API docs)', () => {
    const documents = exampleDocuments('flagger__docs_gatewayapi-progressive-delivery.yaml');
    const result = importFlagger(documents, { document: 1 });
    const { config } = printed(result);
    expect(config.router).toEqual({ provider: 'gateway-api', httpRoute: 'podinfo' });
    expect(config.steps).toEqual([10, 20, 30, 40, 50]);
    expect(config.interval).toBe('1m');
    expect(config.analysis?.source).toEqual({
      provider: 'prometheus',
      address: 'http://prometheus.istio-system:9090',
    });
    const [errors, latency] = config.analysis?.checks ?? [];
    expect(errors).toMatchObject({ name: 'error-rate', max: 1, window: '1m' });
    expect(errors?.query).toContain('destination_workload_namespace=~"{{namespace}}"');
    expect(errors?.query).toContain('destination_workload=~"{{service}}-canary"');
    expect(errors?.query).toContain('[{{window}}]');
    expect(errors?.query).not.toMatch(/\{\{ *(target|interval) *\}\}/);
    expect(latency).toMatchObject({ name: 'latency', max: 0.5, window: '30s' });
    expect(notesAbout(result, /gatewayRefs/)).toContain('spec.service.gatewayRefs');
    expect(notesAbout(result, /became \{\{service\}\}-canary/)).toHaveLength(2);
  });

  it('asks which Canary to import when a file holds several, and names their lines', () => {
    const documents = exampleDocuments('flagger__docs_gatewayapi-progressive-delivery.yaml');
    const error = configurationError(() => importFlagger(documents));
    expect(error.message).toContain('holds 9 Flagger Canary documents: 1 (line 72), 2 (line 147)');
    expect(error.message).toContain('--document N');
  });

  it('fills templateVariables into the Linkerd MetricTemplates', () => {
    const documents = exampleDocuments('flagger__docs_linkerd-progressive-delivery.yaml');
    const { config } = printed(importFlagger(documents, { document: 1 }));
    const [success, latency] = config.analysis?.checks ?? [];
    expect(success).toMatchObject({ name: 'success-rate', min: 99 });
    expect(success?.query).toContain('direction="inbound"');
    expect(success?.query).not.toContain('variables.');
    expect(latency?.query).toContain('response_latency_ms_bucket');
    expect(config.interval).toBe('30s');
    expect(config.steps).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
  });

  it('refuses providers glidepath cannot route, A/B tests and Canary fragments, with file and line', () => {
    const linkerdDocs = exampleDocuments('flagger__docs_linkerd-progressive-delivery.yaml');
    const nginx = configurationError(() => importFlagger(linkerdDocs, { document: 2 }));
    expect(nginx.problems[0]).toMatchObject({ field: 'spec.provider', line: 146 });
    expect(nginx.message).toContain('no router for Flagger\'s "nginx" provider');

    const abtest = configurationError(() =>
      importFlagger(exampleDocuments('flagger__artifacts_examples_istio-abtest.yaml')),
    );
    expect(abtest.problems[0]).toMatchObject({ field: 'spec.analysis.iterations', line: 39 });
    expect(abtest.message).toContain('A/B testing or blue/green');

    const gatewayDocs = exampleDocuments('flagger__docs_gatewayapi-progressive-delivery.yaml');
    const fragment = configurationError(() => importFlagger(gatewayDocs, { document: 5 }));
    expect(fragment.problems[0]).toMatchObject({ field: 'spec.targetRef' });
    expect(fragment.problems[0]?.line).toBeGreaterThan(340);
  });

  it('imports the Istio progressive-delivery docs example and its A/B sibling fails clearly', () => {
    const documents = exampleDocuments('flagger__docs_istio-progressive-delivery.yaml');
    const result = importFlagger(documents, { document: 1 });
    const { config } = printed(result);
    expect(config.steps).toEqual([10, 20, 30, 40, 50]);
    expect(config.hooks?.['pre-rollout']).toMatchObject({ timeout: '30s' });
    // The service's Istio-only fields are what says Istio, since the Canary names no provider.
    expect(notesAbout(result, /retries/)).toEqual([
      'spec.provider',
      expect.stringMatching(/^spec\.service\.\{/),
    ]);
    expect(
      notesAbout(
        result,
        /gateways, service\.trafficPolicy, service\.retries are Istio VirtualService fields/,
      ),
    ).toEqual(['spec.provider']);
    const ab = configurationError(() =>
      importFlagger(exampleDocuments('flagger__docs_istio-ab-testing.yaml')),
    );
    expect(ab.message).toContain('iterations');
  });
});

describe('importFlagger edge cases', () => {
  const canary = (provider: string, extra = '') => `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: shop, namespace: web }
spec:
  provider: ${provider}
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: shop }
  analysis:
    interval: 30s
    threshold: 3
    stepWeight: 30
    maxWeight: 80
${extra}`;

  it('names an unknown provider and the line it is on', () => {
    const error = configurationError(() => importFlagger(inlineDocuments(canary('acme-mesh'))));
    expect(error.problems[0]).toMatchObject({ file: 'inline.yaml', line: 5, field: 'spec.provider' });
    expect(error.message).toContain('unknown provider "acme-mesh"');
  });

  it('caps the last step at maxWeight, and notes metrics, hooks and variables it cannot carry', () => {
    const text = `${canary(
      'istio',
      `    metrics:
      - name: request-success-rate
        thresholdRange: { min: 99.5 }
      - name: dd-errors
        templateRef: { name: dd-errors }
        thresholdRange: { max: 1 }
      - name: ingress-rate
        templateRef: { name: ingress-rate }
        thresholdRange: { max: 5 }
      - name: missing
        templateRef: { name: not-here }
        thresholdRange: { max: 5 }
    webhooks:
      - name: gate
        type: confirm-promotion
        url: http://gate.example/
      - name: undo
        type: rollback
        url: http://undo.example/`,
    )}
---
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: { name: dd-errors, namespace: web }
spec:
  provider: { type: datadog, address: https://api.datadoghq.com }
  query: sum:errors{service:shop}
---
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: { name: ingress-rate, namespace: web }
spec:
  provider: { type: prometheus, address: http://prom:9090 }
  query: sum(rate(nginx_ingress_controller_requests{ingress="{{ ingress }}"}[{{ interval }}]))
`;
    const result = importFlagger(inlineDocuments(text));
    const { config } = printed(result);
    expect(config.steps).toEqual([30, 60, 80]);
    expect(config.analysis?.checks).toHaveLength(1);
    expect(config.analysis?.checks[0]).toMatchObject({ name: 'error-rate', max: 0.005 });
    expect(notesAbout(result, /datadog provider/)).toEqual(['spec.analysis.metrics[1]']);
    expect(notesAbout(result, /\{\{ ingress \}\}/)).toEqual(['spec.analysis.metrics[2]']);
    expect(notesAbout(result, /not-here is not in this file/)).toEqual(['spec.analysis.metrics[3]']);
    expect(notesAbout(result, /confirm-promotion/)).toEqual(['spec.analysis.webhooks[0]']);
    expect(config.hooks?.rollback).toEqual({ url: 'http://undo.example/', gating: false });
    expect(notesAbout(result, /polls a rollback webhook/)).toEqual(['spec.analysis.webhooks[1]']);
  });

  it('rejects a Canary of the wrong apiVersion at its line', () => {
    const error = configurationError(() =>
      importFlagger(inlineDocuments(canary('istio').replace('flagger.app/v1beta1', 'example.com/v1'))),
    );
    expect(error.problems[0]).toMatchObject({ line: 1, field: 'apiVersion' });
    expect(error.message).toContain('a Canary of flagger.app was expected');
  });

  it('says so when nothing in the file is a Canary', () => {
    const error = configurationError(() =>
      importFlagger(inlineDocuments('apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: x }\n')),
    );
    expect(error.message).toContain('no Flagger Canary document found');
  });

  it('adds a reviewed built-in check when no metric carries over, rather than print a config without analysis', () => {
    const result = importFlagger(inlineDocuments(canary('gatewayapi:v1')));
    const { config } = printed(result);
    expect(config.analysis?.checks[0]?.query).toContain('envoy_cluster_upstream_rq');
    expect(notesAbout(result, /built-in error-rate check/)).toEqual(['spec.analysis.metrics']);
  });

  it('never prints a config whose query glidepath would refuse', () => {
    const text = `${canary(
      'istio',
      `    metrics:
      - name: broken
        templateRef: { name: broken }
        templateVariables: { code: '5.."}))' }
        thresholdRange: { max: 1 }`,
    )}
---
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: { name: broken, namespace: web }
spec:
  query: sum(rate(http_requests_total{code=~"{{ variables.code }}"}[1m]))
`;
    const result = importFlagger(inlineDocuments(text));
    const error = configurationError(() => renderImport(result));
    expect(error.problems[0]).toMatchObject({
      file: 'inline.yaml',
      line: 1,
      field: 'analysis.checks[0].query',
    });
  });
});
