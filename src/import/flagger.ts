import { formatDuration } from '../config/duration.js';
import type { RouterConfig } from '../config/rollout.js';
import type { SourceConfig } from '../config/source.js';
import type { FieldPath, YamlDocument } from '../config/yaml-document.js';
import { errorRateCheck, type MetricsFlavour } from './builtin-checks.js';
import { chooseDocument, documentsOfKind, failAt, isRecord, type SourceDocument } from './documents.js';
import { hooksOf } from './flagger-hooks.js';
import { durationOf, metricsOf } from './flagger-metrics.js';
import {
  finishImport,
  type ImportNote,
  type ImportOptions,
  type ImportResult,
  type Note,
  type RolloutConfigInput,
} from './result.js';

/** Fields of a Canary's spec that only shape the objects Flagger generates; glidepath edits existing routes. */
const GENERATED_ROUTE_FIELDS = [
  'port',
  'targetPort',
  'portName',
  'portDiscovery',
  'appProtocol',
  'gateways',
  'hosts',
  'trafficPolicy',
  'match',
  'rewrite',
  'retries',
  'headers',
  'corsPolicy',
  'timeout',
  'backendTimeout',
  'apex',
  'primary',
  'canary',
  'mirror',
  'sessionAffinity',
];

/** Fields of a Canary's service that only Istio's VirtualService has (Flagger docs, "Istio Canary Deployments"). */
const ISTIO_SERVICE_FIELDS = ['gateways', 'trafficPolicy', 'corsPolicy', 'retries', 'rewrite'];

/** Providers glidepath has no router for; named so the error can say what to use instead. */
const ROUTERLESS = [
  'nginx',
  'contour',
  'gloo',
  'skipper',
  'traefik',
  'apisix',
  'kuma',
  'appmesh',
  'kubernetes',
];

/**
 * A Flagger `Canary` (flagger.app/v1beta1), with the `MetricTemplate`s of the
 * same file, as a glidepath rollout config. Everything that does not carry
 * over is named in the notes; what cannot be imported at all is an error.
 */
export function importFlagger(documents: YamlDocument[], options: ImportOptions = {}): ImportResult {
  const file = documents[0]?.file ?? '';
  const canary = chooseDocument(
    documentsOfKind(documents, 'flagger.app', ['Canary']),
    file,
    'Flagger Canary',
    options.document,
  );
  const templates = documentsOfKind(documents, 'flagger.app', ['MetricTemplate']);
  const doc = canary.document;
  const spec = canary.spec;
  const notes: ImportNote[] = [];
  const note: Note = (field, message) => notes.push({ field, message });

  const targetRef = spec.targetRef;
  if (!isRecord(targetRef) || typeof targetRef.name !== 'string') {
    throw failAt(
      doc,
      ['spec', 'targetRef'],
      'spec.targetRef.name is required: the Deployment the Canary rolls out (this looks like a fragment of a Canary)',
    );
  }
  if (targetRef.kind !== undefined && targetRef.kind !== 'Deployment') {
    throw failAt(
      doc,
      ['spec', 'targetRef', 'kind'],
      `glidepath rolls out Deployments only, found kind ${JSON.stringify(targetRef.kind)}`,
    );
  }
  const service = isRecord(spec.service) ? spec.service : {};
  const serviceName = typeof service.name === 'string' ? service.name : targetRef.name;
  if (serviceName !== targetRef.name) {
    note(
      'spec.service.name',
      `${serviceName} differs from targetRef ${targetRef.name}: glidepath names the Deployments after the service (${serviceName}-primary, ${serviceName}-canary)`,
    );
  }
  const namespace = canary.namespace ?? 'default';
  if (!canary.namespace) note('metadata.namespace', 'absent; "default" assumed, as kubectl would');

  const analysis = isRecord(spec.analysis)
    ? spec.analysis
    : isRecord(spec.canaryAnalysis)
      ? spec.canaryAnalysis
      : undefined;
  const analysisKey = isRecord(spec.analysis) ? 'analysis' : 'canaryAnalysis';
  if (!analysis) throw failAt(doc, ['spec'], 'spec.analysis is required: the steps and checks to import');
  const at = (...path: FieldPath) => ['spec', analysisKey, ...path];

  const { router, flavour } = chooseRouter(canary, service, serviceName, note);
  const steps = stepsOf(doc, analysis, at);

  const config: RolloutConfigInput = { service: serviceName, namespace, router, steps };
  const interval = analysis.interval ?? '1m';
  config.interval = durationOf(doc, interval, at('interval'));
  if (typeof spec.progressDeadlineSeconds === 'number') {
    config.readyTimeout = formatDuration(spec.progressDeadlineSeconds * 1000);
  }

  if (typeof analysis.threshold === 'number') {
    note(
      `spec.${analysisKey}.threshold`,
      `Flagger rolls back after ${analysis.threshold} failed checks; glidepath rolls back on the first failed analysis and holds the step while data is missing (up to noDataDeadline), so a flaky check fails sooner`,
    );
  }
  for (const key of [
    'stepWeightPromotion',
    'primaryReadyThreshold',
    'canaryReadyThreshold',
    'alerts',
    'match',
    'mirror',
    'mirrorWeight',
    'sessionAffinity',
  ]) {
    if (analysis[key] !== undefined) {
      note(`spec.${analysisKey}.${key}`, `not carried over: glidepath has no equivalent of Flagger's ${key}`);
    }
  }
  const generated = GENERATED_ROUTE_FIELDS.filter((key) => service[key] !== undefined);
  if (generated.length > 0) {
    note(
      `spec.service.{${generated.join(', ')}}`,
      'not carried over: Flagger generates the Services and the route from these, glidepath only edits the weights of your existing route; put them in your VirtualService/HTTPRoute and Service',
    );
  }
  if (service.gatewayRefs !== undefined) {
    note(
      'spec.service.gatewayRefs',
      `not carried over: attach the HTTPRoute "${serviceName}" to these gateways yourself`,
    );
  }
  for (const key of [
    'autoscalerRef',
    'ingressRef',
    'upstreamRef',
    'routeRef',
    'revertOnDeletion',
    'suspend',
  ]) {
    if (spec[key] !== undefined)
      note(`spec.${key}`, `not carried over: glidepath has no equivalent of ${key}`);
  }
  if (spec.skipAnalysis === true) {
    note('spec.skipAnalysis', 'ignored: glidepath never promotes without analysis');
  }

  const sources: SourceConfig[] = [];
  const checks = metricsOf(canary, analysis, at, templates, flavour, sources, note);
  if (checks.length === 0) {
    if (!flavour) {
      throw failAt(
        doc,
        at('metrics'),
        'no metric could be carried over and glidepath has no built-in checks for this provider: a canary needs analysis; add a metric with a Prometheus query',
      );
    }
    const check = errorRateCheck(flavour);
    checks.push({ ...check, max: 0.01 });
    note(
      `spec.${analysisKey}.metrics`,
      'no metric carried over: a built-in error-rate check (max 1 %) was added; review it',
    );
  }
  config.analysis = { ...(sources[0] ? { source: sources[0] } : {}), checks };

  const hooks = hooksOf(analysis, analysisKey, note);
  if (Object.keys(hooks).length > 0) config.hooks = hooks;

  const line = doc.positionOf([])?.line;
  return finishImport(
    {
      config,
      notes,
      source: `Flagger Canary ${canary.name || serviceName} (${doc.file}${line ? `:${line}` : ''})`,
      origin: { file: doc.file, line },
    },
    options,
  );
}

function chooseRouter(
  canary: SourceDocument,
  service: Record<string, unknown>,
  name: string,
  note: Note,
): { router: RouterConfig; flavour?: MetricsFlavour } {
  const raw = canary.spec.provider;
  const gatewayRefs = Array.isArray(service.gatewayRefs) && service.gatewayRefs.length > 0;
  const gatewayApi: RouterConfig = { provider: 'gateway-api', httpRoute: name };
  const metadata = isRecord((canary.document.value as Record<string, unknown>).metadata)
    ? ((canary.document.value as Record<string, unknown>).metadata as Record<string, unknown>)
    : {};
  const annotations = isRecord(metadata.annotations) ? Object.keys(metadata.annotations) : [];
  // Flagger's Kuma docs mark the Canary with kuma.io/mesh; its NGINX, Contour, Gloo, Skipper,
  // Traefik and APISIX providers route through spec.ingressRef or spec.routeRef objects.
  const kuma = annotations.find((key) => key.startsWith('kuma.io/'));
  if (kuma && (raw === undefined || (typeof raw === 'string' && raw.startsWith('kuma')))) {
    throw failAt(
      canary.document,
      ['metadata', 'annotations', kuma],
      'this Canary is routed by Kuma (its kuma.io/ annotation), which glidepath cannot drive; it routes with istio, gateway-api or smi. If your Kuma version implements Gateway API (MeshHTTPRoute is not), set provider: gatewayapi:v1 with service.gatewayRefs and import again',
    );
  }
  if (raw === undefined && canary.spec.ingressRef !== undefined) {
    throw failAt(
      canary.document,
      ['spec', 'ingressRef'],
      "this Canary splits traffic through an Ingress (spec.ingressRef, Flagger's NGINX-style providers), which glidepath cannot drive; it routes with istio, gateway-api or smi. Move the route to a Gateway API HTTPRoute (provider: gatewayapi:v1 with service.gatewayRefs) and import again",
    );
  }
  if (raw === undefined) {
    if (gatewayRefs) {
      note(
        'spec.provider',
        `absent (Flagger then uses its -mesh-provider flag); service.gatewayRefs implies Gateway API: the HTTPRoute "${name}" that Flagger would generate; built-in metrics written for Envoy-based gateways`,
      );
      return { router: gatewayApi, flavour: 'envoy' };
    }
    const istioFields = ISTIO_SERVICE_FIELDS.filter((key) => service[key] !== undefined);
    if (istioFields.length > 0) {
      note(
        'spec.provider',
        `absent (Flagger then uses its -mesh-provider flag); service.${istioFields.join(', service.')} ${istioFields.length > 1 ? 'are' : 'is'} Istio VirtualService fields, so Istio: the VirtualService "${name}"`,
      );
      return { router: { provider: 'istio', virtualService: name }, flavour: 'istio' };
    }
    throw failAt(
      canary.document,
      ['spec'],
      'spec.provider is absent and nothing else in the file says which mesh routes this Canary (Flagger takes it from its -mesh-provider flag): add spec.provider (istio, linkerd, gatewayapi:v1 or smi) and import again',
    );
  }
  if (typeof raw !== 'string') {
    throw failAt(
      canary.document,
      ['spec', 'provider'],
      `must be a provider name, found ${JSON.stringify(raw)}`,
    );
  }
  if (raw === 'istio') {
    note(
      'spec.provider',
      `istio: glidepath edits the VirtualService "${name}" that Flagger generated (create it when migrating) over one DestinationRule with primary/canary subsets, instead of Flagger's ${name}-primary and ${name}-canary DestinationRules`,
    );
    return { router: { provider: 'istio', virtualService: name }, flavour: 'istio' };
  }
  if (raw.startsWith('gatewayapi')) {
    note(
      'spec.provider',
      `${raw}: the HTTPRoute "${name}" that Flagger would generate; built-in metrics are written for Envoy-based gateways`,
    );
    return { router: gatewayApi, flavour: 'envoy' };
  }
  if (raw === 'linkerd') {
    // Linkerd deprecated its SMI extension; from 2.12 it splits traffic with Gateway API HTTPRoutes (GAMMA).
    if (gatewayRefs) {
      note(
        'spec.provider',
        `linkerd with service.gatewayRefs: Gateway API HTTPRoute "${name}" (Linkerd 2.12+)`,
      );
      return { router: gatewayApi, flavour: 'linkerd' };
    }
    note(
      'spec.provider',
      `linkerd: an SMI TrafficSplit "${name}" as Flagger writes it; Linkerd deprecated SMI, so on Linkerd 2.12+ prefer router {provider: gateway-api, httpRoute: ${name}}`,
    );
    return {
      router: { provider: 'smi', trafficSplit: name, apiVersion: 'split.smi-spec.io/v1alpha2' },
      flavour: 'linkerd',
    };
  }
  const smi = /^smi(?::(v1alpha[1-4]))?$/.exec(raw);
  if (smi || raw === 'osm') {
    note(
      'spec.provider',
      `${raw}: SMI TrafficSplit "${name}"; no built-in metrics for it, only custom metrics carry over`,
    );
    const version = smi?.[1] as 'v1alpha1' | 'v1alpha2' | 'v1alpha3' | 'v1alpha4' | undefined;
    const router: RouterConfig = { provider: 'smi', trafficSplit: name };
    if (version) router.apiVersion = `split.smi-spec.io/${version}`;
    return { router };
  }
  const family = ROUTERLESS.find((p) => raw === p || raw.startsWith(`${p}:`));
  throw failAt(
    canary.document,
    ['spec', 'provider'],
    `glidepath has no router for ${family ? `Flagger's ${JSON.stringify(raw)} provider` : `the unknown provider ${JSON.stringify(raw)}`}; it routes with istio, gateway-api or smi. If your ${family ?? 'mesh'} implements Gateway API, set provider: gatewayapi:v1 with service.gatewayRefs and import again`,
  );
}

function stepsOf(
  doc: YamlDocument,
  analysis: Record<string, unknown>,
  at: (...p: FieldPath) => FieldPath,
): number[] {
  if (Array.isArray(analysis.stepWeights) && analysis.stepWeights.length > 0) {
    return analysis.stepWeights.map((w, i) => {
      if (typeof w !== 'number' || !Number.isInteger(w) || w < 1 || w > 100) {
        throw failAt(
          doc,
          at('stepWeights', i),
          `must be a whole percentage 1..100, found ${JSON.stringify(w)}`,
        );
      }
      return w;
    });
  }
  if (typeof analysis.stepWeight === 'number') {
    const step = analysis.stepWeight;
    // Flagger's maxWeight defaults to 100; the last step is capped at it.
    const max = typeof analysis.maxWeight === 'number' ? analysis.maxWeight : 100;
    if (!Number.isInteger(step) || step < 1 || step > 100 || max < 1 || max > 100) {
      throw failAt(
        doc,
        at('stepWeight'),
        `stepWeight ${step} and maxWeight ${max} must be whole percentages 1..100`,
      );
    }
    const steps: number[] = [];
    for (let w = step; ; w += step) {
      steps.push(Math.min(w, max));
      if (w >= max) break;
    }
    return steps;
  }
  throw failAt(
    doc,
    at('iterations'),
    "this Canary has no stepWeight or stepWeights: it is Flagger's A/B testing or blue/green (iterations with header match or mirroring), and glidepath shifts traffic by weight only. Add stepWeight and maxWeight to import it as a weighted canary",
  );
}
