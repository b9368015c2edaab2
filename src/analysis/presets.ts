import type { CountsConfig } from '../config/rollout.js';

export type PresetName = 'istio' | 'istio-ambient' | 'linkerd' | 'demo';

export interface PresetCheck {
  name: string;
  query: string;
  compare: { tolerance: number; slack: number };
}

export interface Preset {
  counts: CountsConfig;
  checks: PresetCheck[];
}

/**
 * gRPC status codes counted as failures: those google.rpc.Code maps to HTTP 5xx (UNKNOWN 2,
 * DEADLINE_EXCEEDED 4, UNIMPLEMENTED 12, INTERNAL 13, UNAVAILABLE 14, DATA_LOSS 15; see
 * googleapis google/rpc/code.proto), so a gRPC server fails the same requests an HTTP one would.
 * Client mistakes (INVALID_ARGUMENT, NOT_FOUND, ...) are the caller's, as 4xx are. gRPC answers
 * HTTP 200 whatever the status, so a 5xx-only query misses every gRPC failure.
 */
const GRPC_FAILURES = '2|4|12|13|14|15';

/**
 * Counts as `total - non-errors`, Flagger's built-in shape (non-5xx over all): the non-error and
 * total series exist from the canary's first request, while an error series is born at the first
 * error and increase() drops what happened before its first scrape. `or vector(0)` keeps a canary
 * that fails every request from reading as zero errors.
 */
function counts(metric: string, selector: string, ok: string, range = '{{since}}') {
  const total = `sum(increase(${metric}{${selector}}[${range}]))`;
  return {
    requests: total,
    errors: `${total} - (sum(increase(${metric}{${selector},${ok}}[${range}])) or vector(0))`,
  };
}

/**
 * Istio's standard metrics (istio.io/latest/docs/reference/config/metrics). `reporter="source"` is
 * the client-side proxy (a sidecar or an Istio gateway): it records the failures a caller sees,
 * including the 503s of a canary that never answered (connection refused, reset, timed out), which
 * the canary's own proxy (`destination`) never records. Callers outside the mesh are not reported
 * by it: route them through an Istio gateway. In ambient mode there are no sidecars; L7 metrics
 * come from the waypoint proxy (`reporter="waypoint"`), hence `istio-ambient`, which needs a
 * waypoint for the service (ztunnel alone reports only TCP metrics).
 */
function istio(reporter: 'source' | 'waypoint'): Preset {
  const selector = `reporter="${reporter}",destination_workload_namespace="{{namespace}}",destination_workload="{{workload}}"`;
  return {
    counts: counts(
      'istio_requests_total',
      selector,
      `response_code!~"5..",grpc_response_status!~"${GRPC_FAILURES}"`,
    ),
    checks: [
      {
        name: 'p99-latency-ms',
        query: `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${selector}}[{{window}}])))`,
        compare: { tolerance: 1.25, slack: 25 },
      },
    ],
  };
}

/**
 * Analysis written once per mesh from its own standard metrics, so a team can
 * start without PromQL. `{{workload}}` is the track's Deployment
 * (`<svc>-primary` / `<svc>-canary`), which is how both Istio and Linkerd
 * label their series. Gateway API defines no metrics of its own: with the
 * gateway-api router, pick the preset of the mesh or gateway that carries the
 * traffic (Istio and Linkerd both implement Gateway API routing), or write counts.
 */
const PRESETS: Record<PresetName, Preset> = {
  istio: istio('source'),
  'istio-ambient': istio('waypoint'),
  // Linkerd's proxy metrics (linkerd.io/2/reference/proxy-metrics): `direction="outbound"` is the
  // caller's proxy, which sees connection failures too; its `classification` already marks HTTP 5xx
  // and gRPC non-OK statuses as failure, so success/total counts both.
  linkerd: {
    counts: counts(
      'response_total',
      'direction="outbound",dst_namespace="{{namespace}}",dst_deployment="{{workload}}"',
      'classification="success"',
    ),
    checks: [
      {
        name: 'p99-latency-ms',
        query:
          'histogram_quantile(0.99, sum by (le) (rate(response_latency_ms_bucket{direction="outbound",dst_namespace="{{namespace}}",dst_deployment="{{workload}}"}[{{window}}])))',
        compare: { tolerance: 1.25, slack: 25 },
      },
    ],
  },
  demo: {
    counts: counts('http_requests_total', 'app="demo",track="{{track}}"', 'code!~"5.."'),
    checks: [
      {
        name: 'p99-latency-seconds',
        query:
          'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{app="demo",track="{{track}}"}[{{window}}])))',
        compare: { tolerance: 1.5, slack: 0.05 },
      },
    ],
  },
};

export function preset(name: PresetName): Preset {
  return PRESETS[name];
}
