import type { TrackCounts } from '../analysis/compare.js';
import { type DispersionEstimate, pearsonDispersion } from '../analysis/dispersion.js';
import { formatDuration } from '../config/duration.js';
import { type RolloutSpec, templateValues } from '../config/load-rollout.js';
import { renderSourceQuery } from '../config/query-language.js';
import { type MetricsSource, QueryRejectedError, type Series } from '../metrics/source.js';
import { observedShare } from './observed-share.js';

/** The primary's dispersion as measured, for the sequential test and the report. */
export interface PrimaryDispersion extends DispersionEstimate {
  /** Length of each counted window, seconds. */
  windowSeconds: number;
  /**
   * Primary requests per second that phi speaks for: the windows' rates weighted by their requests
   * (sum n_i r_i / sum n_i), as D weights each window's dispersion by its n_i.
   */
  primaryRate?: number;
}

export interface PrimaryDispersionQuery {
  source: MetricsSource;
  /** The primary's counts queries, rendered with `since` = one window. */
  queries: { errors: string; requests: string };
  end: Date;
  windowMs: number;
  /** How far back to count windows; a source with less history gives fewer windows. */
  historyMs: number;
  /** The share of a window the server's samples cover (increase() extrapolates to the whole window). */
  share: number;
}

/**
 * Counts the primary's errors and requests in disjoint windows (a range query whose step is the
 * window, so each point's increase() covers its own window) and estimates their dispersion. A source
 * that cannot answer range queries (the scrape source holds two scrapes, no history) leaves phi at 1
 * and says so; any other failure propagates, so the caller fails closed.
 */
export async function measurePrimaryDispersion(q: PrimaryDispersionQuery): Promise<PrimaryDispersion> {
  const windowSeconds = q.windowMs / 1000;
  const count = Math.max(1, Math.floor(q.historyMs / q.windowMs));
  const range = {
    start: new Date(q.end.getTime() - (count - 1) * q.windowMs),
    end: q.end,
    stepSeconds: windowSeconds,
  };
  let requests: Series | undefined;
  let errors: Series | undefined;
  try {
    requests = single(await q.source.queryRange(q.queries.requests, range), 'requests');
    errors = single(await q.source.queryRange(q.queries.errors, range), 'errors');
  } catch (e: unknown) {
    if (!(e instanceof QueryRejectedError)) throw e;
    return {
      phi: 1,
      windows: 0,
      windowSeconds,
      unmeasured: `the metrics source cannot answer range queries (${e.message}); errors taken as independent`,
    };
  }
  const errorsAt = new Map((errors?.points ?? []).map(([t, v]) => [t, v]));
  const windows: TrackCounts[] = [];
  for (const [t, raw] of requests?.points ?? []) {
    if (!(Number.isFinite(raw) && raw > 0)) continue;
    const e = errorsAt.get(t);
    // As in the instant counts: total - non-errors can come out a hair outside [0, total].
    const failed = e !== undefined && Number.isFinite(e) ? Math.max(0, Math.min(e, raw)) : 0;
    windows.push({ errors: failed * q.share, requests: raw * q.share });
  }
  const estimate = pearsonDispersion(windows);
  const total = windows.reduce((sum, w) => sum + w.requests, 0);
  const primaryRate =
    total > 0
      ? windows.reduce((sum, w) => sum + w.requests ** 2, 0) / total / (windowSeconds * q.share)
      : undefined;
  return {
    ...estimate,
    windowSeconds,
    ...(primaryRate !== undefined ? { primaryRate } : {}),
    ...(estimate.unmeasured ? { unmeasured: `${estimate.unmeasured}; errors taken as independent` } : {}),
  };
}

function single(series: Series[], what: string): Series | undefined {
  if (series.length > 1)
    throw new Error(
      `the primary's ${what} range query returned ${series.length} series: aggregate it with sum()`,
    );
  return series[0];
}

/**
 * The primary's history the dispersion is estimated over, in windows of W: D's relative error is
 * about sqrt(2 / (k - 1)), 40 % on 15 one-minute windows and 20 % on 60, and an underestimate lets
 * bursts through as evidence (blast-radius bench, burst 3, 1000 healthy runs: at the 50 % step,
 * where the canary is most dispersed, 8 false rollbacks with 15 minutes of history, 5 with an hour).
 * A source with less history gives fewer windows.
 */
const DISPERSION_HISTORY_MS = 60 * 60_000;

/**
 * The primary's dispersion for a rollout: over the last DISPERSION_HISTORY_MS, in windows of four
 * scrape intervals (rate()'s usual floor: each window holds a few scrapes), stepped by one window so
 * that no request is counted twice. A window much longer than a burst has the dispersion of the
 * step's longer counts; failing spells as long as the window or longer would be underestimated.
 */
export function measureSpecDispersion(
  spec: RolloutSpec,
  source: MetricsSource,
  at: Date,
): Promise<PrimaryDispersion> {
  const counts = spec.counts as NonNullable<RolloutSpec['counts']>;
  const windowMs = 4 * spec.scrapeIntervalMs;
  const since = formatDuration(windowMs);
  const render = (query: string) =>
    renderSourceQuery(spec.source?.provider, query, templateValues(spec, 'stable', spec.window, since));
  return measurePrimaryDispersion({
    source,
    queries: { errors: render(counts.errors), requests: render(counts.requests) },
    end: at,
    windowMs,
    historyMs: DISPERSION_HISTORY_MS,
    share: observedShare(spec, since),
  });
}
