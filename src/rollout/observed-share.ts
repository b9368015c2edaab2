import { parseDuration } from '../config/duration.js';
import type { RolloutSpec } from '../config/load-rollout.js';

/**
 * The share of a range that a server's samples actually cover. Prometheus's increase() scales the
 * increase between the first and last sample in the range up to the whole range
 * (promql/functions.go, extrapolatedRate); the first and last samples lie on average half a scrape
 * interval inside each end, so over a range r only about r - scrape was observed. Counts scaled up
 * by r / (r - scrape) carry no more information than the observed ones, and a test fed them would
 * treat 7 errors seen in 15 s of a 30 s range as 14 and roll back healthy canaries (measured with
 * the benchmark's simulated Prometheus). The scrape source reads two scrapes and does not
 * extrapolate.
 */
export function observedShare(spec: RolloutSpec, since: string): number {
  if (spec.source?.provider === 'scrape') return 1;
  const rangeMs = parseDuration(since) as number;
  const scrape = spec.scrapeIntervalMs;
  return Math.min(1, Math.max(rangeMs - scrape, scrape) / rangeMs);
}
