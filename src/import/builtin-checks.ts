/**
 * Which metrics a mesh exports: the built-in checks are written once per
 * flavour, for the canary workload `<service>-canary` that glidepath runs.
 */
export type MetricsFlavour = 'istio' | 'linkerd' | 'envoy';

interface BuiltinCheck {
  name: string;
  query: string;
}

const istioLabels =
  'reporter="destination",destination_workload_namespace="{{namespace}}",destination_workload="{{service}}-canary"';
const linkerdLabels = 'namespace="{{namespace}}",deployment="{{service}}-canary",direction="inbound"';
// Envoy names upstream clusters <namespace>_<service>_<port> on Envoy-based Gateway API implementations (Flagger's gatewayapi observer relies on the same).
const envoyLabels = 'envoy_cluster_name=~"{{namespace}}_{{service}}-canary_[0-9a-zA-Z-]+"';

/** The fraction of the canary's requests that failed (0..1): Flagger's request-success-rate, inverted. */
export function errorRateCheck(flavour: MetricsFlavour): BuiltinCheck {
  const ratio = (total: string, failed: string, labels: string) =>
    `sum(rate(${total}{${labels},${failed}}[{{window}}])) / sum(rate(${total}{${labels}}[{{window}}]))`;
  const query = {
    istio: ratio('istio_requests_total', 'response_code=~"5.*"', istioLabels),
    linkerd: ratio('response_total', 'classification="failure"', linkerdLabels),
    envoy: ratio('envoy_cluster_upstream_rq', 'envoy_response_code=~"5.*"', envoyLabels),
  }[flavour];
  return { name: 'error-rate', query };
}

/** The canary's p99 request duration in milliseconds: Flagger's request-duration. */
export function latencyCheck(flavour: MetricsFlavour): BuiltinCheck {
  const p99 = (bucket: string, labels: string) =>
    `histogram_quantile(0.99, sum(rate(${bucket}{${labels}}[{{window}}])) by (le))`;
  const query = {
    istio: p99('istio_request_duration_milliseconds_bucket', istioLabels),
    linkerd: p99('response_latency_ms_bucket', linkerdLabels),
    envoy: p99('envoy_cluster_upstream_rq_time_bucket', envoyLabels),
  }[flavour];
  return { name: 'latency-p99', query };
}
