import type { CountsConfig } from '../config/rollout.js';

export type PresetName = 'istio' | 'linkerd' | 'demo';

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
 * Analysis written once per mesh from its own standard metrics, so a team can
 * start without PromQL. `{{workload}}` is the track's Deployment
 * (`<svc>-primary` / `<svc>-canary`), which is how both Istio and Linkerd
 * label their series.
 */
const PRESETS: Record<PresetName, Preset> = {
  istio: {
    counts: {
      errors:
        'sum(increase(istio_requests_total{reporter="destination",destination_workload_namespace="{{namespace}}",destination_workload="{{workload}}",response_code=~"5.."}[{{since}}]))',
      requests:
        'sum(increase(istio_requests_total{reporter="destination",destination_workload_namespace="{{namespace}}",destination_workload="{{workload}}"}[{{since}}]))',
    },
    checks: [
      {
        name: 'p99-latency-ms',
        query:
          'histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="{{namespace}}",destination_workload="{{workload}}"}[{{window}}])))',
        compare: { tolerance: 1.25, slack: 25 },
      },
    ],
  },
  linkerd: {
    counts: {
      errors:
        'sum(increase(response_total{direction="inbound",namespace="{{namespace}}",deployment="{{workload}}",classification="failure"}[{{since}}]))',
      requests:
        'sum(increase(response_total{direction="inbound",namespace="{{namespace}}",deployment="{{workload}}"}[{{since}}]))',
    },
    checks: [
      {
        name: 'p99-latency-ms',
        query:
          'histogram_quantile(0.99, sum by (le) (rate(response_latency_ms_bucket{direction="inbound",namespace="{{namespace}}",deployment="{{workload}}"}[{{window}}])))',
        compare: { tolerance: 1.25, slack: 25 },
      },
    ],
  },
  demo: {
    counts: {
      errors: 'sum(increase(http_requests_total{app="demo",track="{{track}}",code=~"5.."}[{{since}}]))',
      requests: 'sum(increase(http_requests_total{app="demo",track="{{track}}"}[{{since}}]))',
    },
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
