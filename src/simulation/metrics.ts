import { evaluate, labelSetKey, type Snapshot } from '../metrics/scrape-eval.js';
import {
  type MetricsSource,
  QueryRejectedError,
  type Sample,
  type Series,
  type TimeRange,
} from '../metrics/source.js';
import { mulberry32, type Random, sampleBinomial, sampleNormal } from './random.js';

type SimTrack = 'stable' | 'canary';

export interface SimulatedMetricsOptions {
  /** Requests per second over both tracks. */
  rps: number;
  /**
   * Probability that one request fails, per track; the canary's may depend on its weight (a canary
   * that fails only under load: healthy below some weight, bad from it).
   */
  errorProbability: { primary: number; canary: number | ((canaryWeight: number) => number) };
  seed: number;
  /** The canary's share of traffic right now, in percent (read from the router). */
  canaryWeight: () => number;
  /** Simulated milliseconds since the epoch. */
  now: () => number;
  /** Resolution of the traffic simulation (default 1 s). */
  tickMs?: number;
  /**
   * How often the simulated Prometheus scrapes the service (default 15 s, the scrape_interval of
   * Prometheus's example configuration); the phase of the scrapes is drawn from the seed, as a real
   * server's is offset per target. Counters are visible only as of the last scrape.
   */
  scrapeIntervalMs?: number;
  /**
   * Burstiness of errors, at least 1: 1 is independent errors; b > 1 fails requests only in bursts
   * (a two-state Gilbert-Elliott chain per track, bursts of 5 s on average) at b times the rate, for
   * the same mean error rate.
   */
  burst?: number;
  /** Median response time in seconds per track (log-normal); default 20 ms for both. */
  medianLatencySeconds?: { primary: number; canary: number };
  /** Standard deviation of ln(latency) of one request (default 0.5). */
  latencySigma?: number;
  /** Second-to-second drift of the median: standard deviation of ln(median) (default 0.1). */
  latencyNoise?: number;
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, Number.POSITIVE_INFINITY];
const MEAN_BURST_SECONDS = 5;

/** Share of a log-normal distribution at or below x: the histogram's cumulative bucket counts. */
function logNormalCdf(x: number, median: number, sigma: number): number {
  if (x === Number.POSITIVE_INFINITY) return 1;
  const z = Math.log(x / median) / (sigma * Math.SQRT2);
  // Abramowitz-Stegun 7.1.26 erf approximation (error < 1.5e-7), plenty for bucket counts.
  const t = 1 / (1 + 0.3275911 * Math.abs(z));
  const erf =
    1 -
    t *
      (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
      Math.exp(-z * z);
  return 0.5 * (1 + (z >= 0 ? erf : -erf));
}

interface TrackState {
  ok: number;
  err: number;
  /** Cumulative bucket counts, one per BUCKETS entry. */
  buckets: number[];
  /** Whether the Gilbert-Elliott chain is in its failing state. */
  failing: boolean;
}

/**
 * A metrics source that behaves like a Prometheus server scraping a service
 * whose traffic is simulated: `http_requests_total{app="demo",track,code}`
 * counters and `http_request_duration_seconds_bucket` histograms, created at
 * their first increment as client libraries do (so the canary's `code="500"`
 * series appears at its first error), scraped every scrape interval, and
 * queried with rate()/increase() extrapolated as Prometheus does. A whole
 * rollout runs in simulated time with the playground's queries.
 */
export class SimulatedMetrics implements MetricsSource {
  readonly description = 'simulated Prometheus';
  private readonly rng: Random;
  private readonly scrapes: Snapshot[] = [];
  private simulatedTo: number;
  private nextScrape: number;
  private carry = 0;
  private readonly tracks: Record<SimTrack, TrackState> = {
    stable: { ok: 0, err: 0, buckets: BUCKETS.map(() => 0), failing: false },
    canary: { ok: 0, err: 0, buckets: BUCKETS.map(() => 0), failing: false },
  };

  constructor(private readonly options: SimulatedMetricsOptions) {
    if (!(Number.isFinite(options.rps) && options.rps >= 0))
      throw new RangeError(`rps must be a non-negative number (got ${options.rps})`);
    if ((options.burst ?? 1) < 1) throw new RangeError(`burst must be at least 1 (got ${options.burst})`);
    this.rng = mulberry32(options.seed);
    this.simulatedTo = options.now();
    const scrape = this.scrapeIntervalMs;
    this.nextScrape = this.simulatedTo + Math.floor(this.rng.next() * scrape);
    const burst = options.burst ?? 1;
    for (const track of Object.values(this.tracks)) track.failing = this.rng.next() < 1 / burst;
  }

  private get scrapeIntervalMs(): number {
    return this.options.scrapeIntervalMs ?? 15_000;
  }

  /** Requests and errors served so far by each track (the truth, not what a scrape saw). */
  get served(): {
    stable: { requests: number; errors: number };
    canary: { requests: number; errors: number };
  } {
    const { stable, canary } = this.tracks;
    return {
      stable: { requests: stable.ok + stable.err, errors: stable.err },
      canary: { requests: canary.ok + canary.err, errors: canary.err },
    };
  }

  /** Runs the simulation up to now with the router's current weight, scraping on schedule. */
  advance(): void {
    const now = this.options.now();
    const tick = this.options.tickMs ?? 1_000;
    while (this.simulatedTo + tick <= now) {
      const weight = this.options.canaryWeight();
      const exact = this.options.rps * (tick / 1000) + this.carry;
      const total = Math.floor(exact);
      this.carry = exact - total;
      const canaryRequests = sampleBinomial(this.rng, total, weight / 100);
      const canaryP =
        typeof this.options.errorProbability.canary === 'function'
          ? this.options.errorProbability.canary(weight)
          : this.options.errorProbability.canary;
      this.serve('stable', total - canaryRequests, this.options.errorProbability.primary, tick);
      this.serve('canary', canaryRequests, canaryP, tick);
      this.simulatedTo += tick;
      while (this.nextScrape <= this.simulatedTo) {
        this.scrapes.push(this.snapshot(this.nextScrape));
        this.nextScrape += this.scrapeIntervalMs;
      }
    }
    // Keep an hour: longer than any window a rollout asks about.
    const oldest = this.simulatedTo - 3_600_000;
    while (this.scrapes.length > 0 && (this.scrapes[0] as Snapshot).time < oldest) this.scrapes.shift();
  }

  async query(expr: string, at?: Date): Promise<Sample[]> {
    this.advance();
    const time = Math.min(at?.getTime() ?? this.simulatedTo, this.simulatedTo);
    const visible = this.scrapes.filter((s) => s.time <= time);
    const latest = visible.at(-1);
    if (!latest) return [];
    return evaluate(expr, {
      latest,
      startOf: (rangeMs) => visible.find((s) => s.time >= latest.time - rangeMs && s !== latest),
      // Prometheus 2.x range selectors include both ends: [at - range, at].
      range: { at: time, within: (rangeMs) => visible.filter((s) => s.time >= time - rangeMs) },
    });
  }

  /**
   * A range query as Prometheus answers one (HTTP API, "Range queries",
   * prometheus.io/docs/prometheus/latest/querying/api/#range-queries): the expression is evaluated
   * as an instant query at start, start + step, ... up to end, and the results are grouped by label
   * set into series, a series holding a point only at the times it had a value. Prometheus refuses
   * (400 bad_data) an end before the start, a step that is not positive, and more than 11,000
   * points per series (web/api/v1/api.go, queryRange).
   */
  async queryRange(expr: string, range: TimeRange): Promise<Series[]> {
    const start = range.start.getTime();
    const end = range.end.getTime();
    const stepMs = range.stepSeconds * 1000;
    if (end < start) throw new QueryRejectedError('end timestamp must not be before start time');
    if (!(stepMs > 0))
      throw new QueryRejectedError(
        'zero or negative query resolution step widths are not accepted. Try a positive integer',
      );
    if (Math.floor((end - start) / stepMs) > 11_000)
      throw new QueryRejectedError(
        'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
      );
    const series = new Map<string, Series>();
    for (let t = start; t <= end; t += stepMs) {
      for (const sample of await this.query(expr, new Date(t))) {
        const id = labelSetKey(sample.labels);
        let entry = series.get(id);
        if (!entry) {
          entry = { labels: sample.labels, points: [] };
          series.set(id, entry);
        }
        entry.points.push([t / 1000, sample.value]);
      }
    }
    return [...series.values()];
  }

  private serve(track: SimTrack, requests: number, errorProbability: number, tickMs: number): void {
    const state = this.tracks[track];
    const burst = this.options.burst ?? 1;
    let p = errorProbability;
    if (burst > 1) {
      // Stationary share of failing time 1/burst, mean failing run MEAN_BURST_SECONDS.
      const leave = Math.min(1, tickMs / 1000 / MEAN_BURST_SECONDS);
      const share = 1 / burst;
      const enter = Math.min(1, (leave * share) / (1 - share));
      state.failing = state.failing ? this.rng.next() >= leave : this.rng.next() < enter;
      p = state.failing ? Math.min(1, errorProbability * burst) : 0;
    }
    const errors = sampleBinomial(this.rng, requests, p);
    state.err += errors;
    state.ok += requests - errors;
    if (requests === 0) return;
    const medians = this.options.medianLatencySeconds ?? { primary: 0.02, canary: 0.02 };
    const noise = this.options.latencyNoise ?? 0.1;
    const median =
      (track === 'stable' ? medians.primary : medians.canary) * Math.exp(noise * sampleNormal(this.rng));
    const sigma = this.options.latencySigma ?? 0.5;
    // Multinomial over the buckets as a chain of binomials, each conditional on what is left.
    let left = requests;
    let below = 0;
    let cumulative = 0;
    for (let i = 0; i < BUCKETS.length; i++) {
      const cdf = logNormalCdf(BUCKETS[i] as number, median, sigma);
      const share = i === BUCKETS.length - 1 ? 1 : below >= 1 ? 0 : (cdf - below) / (1 - below);
      const count = sampleBinomial(this.rng, left, Math.min(1, Math.max(0, share)));
      left -= count;
      cumulative += count;
      below = cdf;
      (state.buckets as number[])[i] = (state.buckets[i] as number) + cumulative;
    }
  }

  private snapshot(time: number): Snapshot {
    const samples: Sample[] = [];
    for (const track of ['stable', 'canary'] as const) {
      const state = this.tracks[track];
      // A labelled counter exists from its first increment: absent series stay out of the scrape.
      for (const [code, value] of [
        ['200', state.ok],
        ['500', state.err],
      ] as const) {
        if (value > 0)
          samples.push({ labels: { __name__: 'http_requests_total', app: 'demo', track, code }, value });
      }
      if (state.ok + state.err === 0) continue;
      BUCKETS.forEach((le, i) => {
        samples.push({
          labels: {
            __name__: 'http_request_duration_seconds_bucket',
            app: 'demo',
            track,
            le: le === Number.POSITIVE_INFINITY ? '+Inf' : String(le),
          },
          value: state.buckets[i] as number,
        });
      });
    }
    return { time, samples };
  }
}
