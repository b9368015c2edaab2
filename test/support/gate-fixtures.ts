/** Gate and OpenSLO files of our own for the demo service's metrics (http_requests_total{track,code}). */

export const errorRateQuery =
  'sum(rate(http_requests_total{app="demo",track="{{track}}",code=~"5.."}[{{window}}])) / sum(rate(http_requests_total{app="demo",track="{{track}}"}[{{window}}]))';

export function gateFile(options: {
  track: string;
  max: number;
  warnMax?: number;
  onNoData?: string;
  window?: string;
}): string {
  return `apiVersion: glidepath.dev/v1
kind: Gate
metadata:
  name: demo
spec:
  window: ${options.window ?? '10s'}
  vars:
    track: ${options.track}
  checks:
    - name: error-rate
      query: '${errorRateQuery}'
      max: ${options.max}
${options.warnMax !== undefined ? `      warn: { max: ${options.warnMax} }\n` : ''}${options.onNoData ? `      onNoData: ${options.onNoData}\n` : ''}`;
}

export function sloFile(options: { track: string; target: number }): string {
  return `apiVersion: openslo/v1
kind: SLO
metadata:
  name: demo-availability
spec:
  service: demo
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 28d
      isRolling: true
  indicator:
    metadata:
      name: demo-success
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{app="demo",track="${options.track}",code!~"5.."}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{app="demo",track="${options.track}"})
  objectives:
    - displayName: availability
      target: ${options.target}
`;
}
