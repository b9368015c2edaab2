import { type MinimumTraffic, minimumTraffic } from '../analysis/sample-size.js';
import { DEFAULT_SPRT_P0_FLOOR } from '../analysis/sequential.js';
import { formatDuration } from '../config/duration.js';
import { ConfigurationError } from '../config/errors.js';
import { type RolloutSpec, type Track, templateValues } from '../config/load-rollout.js';
import { renderQuery } from '../config/template.js';
import type { MetricsSource } from '../metrics/source.js';

/**
 * Used for the primary baseline when the primary's error rate cannot be measured
 * (no primary yet, no traffic): a round 1 %, stated as an assumption in the report.
 */
export const ASSUMED_P0 = 0.01;

/** How far back the primary's error rate is read for the figures (its version has not changed). */
const P0_HISTORY_MS = 60 * 60_000;

/**
 * The traffic the schedule needs, and the traffic the service has: its requests on both tracks
 * over the last maxStepDuration. Read only, before the first write, so a rollout that cannot
 * decide says so up front. Both tracks, because right after a promotion the canary served the
 * service while the primary's pods were replaced: the primary's counts alone then cover only the
 * seconds since, and a busy service would be refused as idle.
 */
export async function checkTraffic(
  spec: RolloutSpec,
  source: MetricsSource,
  now: number,
): Promise<MinimumTraffic | undefined> {
  const sequential = spec.sequential;
  const counts = spec.counts;
  if (!sequential || !counts) return undefined;
  const since = formatDuration(spec.maxStepMs);
  const readTrack = async (query: string, track: Track, range = since): Promise<number | undefined> => {
    const rendered = renderQuery(query, templateValues(spec, track, spec.window, range));
    const samples = await source.query(rendered, new Date(now)).catch(() => []);
    const value = samples.length === 1 ? samples[0]?.value : undefined;
    return value !== undefined && Number.isFinite(value) ? value : undefined;
  };
  // The service's traffic is the sum over both tracks. The primary's count decides whether it is
  // known at all: without it (a source with too little history yet) the canary's alone would
  // make an unknown rate look like zero; a canary with no series adds nothing.
  const read = async (query: string, range = since): Promise<number | undefined> => {
    const stable = await readTrack(query, 'stable', range);
    if (stable === undefined) return undefined;
    return stable + ((await readTrack(query, 'canary', range)) ?? 0);
  };
  const requests = await read(counts.requests);
  if (requests === undefined && spec.config.analysis?.preset === 'istio') {
    // Ambient mode has no sidecars, so no source or destination reporter: only a waypoint reports L7.
    const waypoint = await readTrack(
      'sum(increase(istio_requests_total{reporter="waypoint",destination_workload_namespace="{{namespace}}",destination_service_name="{{service}}"}[{{since}}]))',
      'stable',
    );
    if (waypoint)
      throw new AmbientModeError([
        {
          file: spec.file,
          line: spec.checks.find((c) => c.location.field === 'analysis.preset')?.location.line,
          field: 'analysis.preset',
          message: `the istio preset found no sidecar-reported requests for ${spec.namespace}/${spec.service}, but a waypoint reports them: the namespace runs in Istio ambient mode. Set analysis.preset: istio-ambient`,
        },
      ]);
  }
  let p0 = sequential.p0;
  let p0Source: MinimumTraffic['p0Source'] = 'fixed';
  if (p0 === undefined) {
    // The error rate over the last hour (or what the source holds), not just maxStepDuration: the
    // requests the test needs grow as 1/p0, and a p0 read low on a few minutes of bursty errors
    // refused 2 % of 100 rps services that could decide (blast-radius bench, --burst 3).
    const p0Range = formatDuration(Math.max(spec.maxStepMs, P0_HISTORY_MS));
    const total = requests ? await read(counts.requests, p0Range) : undefined;
    const errors = total ? ((await read(counts.errors, p0Range)) ?? 0) : undefined;
    if (total && errors !== undefined) {
      p0 = Math.max(DEFAULT_SPRT_P0_FLOOR, Math.min(errors / total, 0.5));
      p0Source = 'measured';
    } else {
      p0 = ASSUMED_P0;
      p0Source = 'assumed';
    }
  }
  const result = minimumTraffic({
    alpha: sequential.stepAlpha,
    beta: sequential.beta,
    p0,
    multiplier: sequential.multiplier,
    p0Source,
    steps: spec.steps,
    intervalMs: spec.intervalMs,
    maxStepMs: spec.maxStepMs,
  });
  // Before a rollout the two tracks together serve the whole service.
  if (requests !== undefined) result.measuredRps = requests / (spec.maxStepMs / 1000);
  return result;
}

/** The istio preset on an ambient-mode service: its queries would never see a request. */
export class AmbientModeError extends ConfigurationError {}

/** One paragraph for the log, the dry run and the report's decisions. */
export function describeTraffic(traffic: MinimumTraffic, spec: RolloutSpec): string {
  const first = traffic.steps[0];
  const p0 = `${(traffic.p0 * 100).toPrecision(2)} % errors (${traffic.p0Source === 'fixed' ? 'sequential.p0' : traffic.p0Source === 'measured' ? "the primary's rate" : 'assumed: no primary traffic measured'})`;
  const need = `the sequential test needs about ${Math.max(traffic.toAccept, traffic.toReject)} canary requests per step at ${p0}`;
  const rps = first
    ? `; at ${first.weight} % that is ${fmt(first.rpsWithinInterval)} rps to decide within interval ${formatDuration(spec.intervalMs)} on average and ${fmt(traffic.minimumRps)} rps for 99 % of healthy canaries (${traffic.toAcceptP99} requests) to be accepted within maxStepDuration ${formatDuration(spec.maxStepMs)}`
    : '';
  const measured =
    traffic.measuredRps === undefined
      ? '; the service traffic could not be measured'
      : `; the service served ${fmt(traffic.measuredRps)} rps over the last ${formatDuration(spec.maxStepMs)}`;
  return `${need}${rps}${measured}`;
}

/** Whether the measured traffic is too low for the schedule to decide. */
export function tooLittleTraffic(traffic: MinimumTraffic): boolean {
  return traffic.measuredRps !== undefined && traffic.measuredRps < traffic.minimumRps;
}

const fmt = (rps: number) => (rps >= 10 ? rps.toFixed(0) : rps.toPrecision(2));
