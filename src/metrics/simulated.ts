import { createTrafficSimulator, type TrafficSimulator } from '../analysis/simulate.js';
import { evaluate, type Snapshot } from './scrape-eval.js';
import { type MetricsSource, QueryRejectedError, type Sample, type Series } from './source.js';

export interface SimulatedMetricsOptions {
  rps: number;
  errorProbability: { primary: number; canary: number };
  seed: number;
  /** The canary's share of traffic right now, in percent (read from the router). */
  canaryWeight: () => number;
  /** Simulated milliseconds since the epoch. */
  now: () => number;
  /** Resolution of the simulation. */
  tickMs?: number;
  /** Median response time in seconds per track (log-normal, sigma 0.5); default 20 ms for both. */
  medianLatencySeconds?: { primary: number; canary: number };
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, Number.POSITIVE_INFINITY];

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

/**
 * A metrics source backed by the seeded traffic simulator: it exposes
 * `http_requests_total{app="demo",track,code}` counters as a service would,
 * and answers PromQL with the same evaluator the scrape source uses, so a
 * whole rollout runs in simulated time with the playground's queries.
 */
export class SimulatedMetrics implements MetricsSource {
  readonly description = 'simulated traffic';
  private readonly simulator: TrafficSimulator;
  private readonly history: Snapshot[] = [];
  private simulatedTo: number;
  private readonly totals = { stable: { ok: 0, err: 0 }, canary: { ok: 0, err: 0 } };

  constructor(private readonly options: SimulatedMetricsOptions) {
    this.simulator = createTrafficSimulator({
      rps: options.rps,
      errorProbability: options.errorProbability,
      seed: options.seed,
    });
    this.simulatedTo = options.now();
    this.history.push(this.snapshot(this.simulatedTo));
  }

  /** Requests and errors served so far by each track. */
  get served(): {
    stable: { requests: number; errors: number };
    canary: { requests: number; errors: number };
  } {
    const { stable, canary } = this.totals;
    return {
      stable: { requests: stable.ok + stable.err, errors: stable.err },
      canary: { requests: canary.ok + canary.err, errors: canary.err },
    };
  }

  /** Runs the simulation up to now with the router's current weight. */
  advance(): void {
    const now = this.options.now();
    const tick = this.options.tickMs ?? 1_000;
    while (this.simulatedTo + tick <= now) {
      const interval = this.simulator.advance(tick / 1000, this.options.canaryWeight()).interval;
      this.totals.stable.err += interval.primary.errors;
      this.totals.stable.ok += interval.primary.requests - interval.primary.errors;
      this.totals.canary.err += interval.canary.errors;
      this.totals.canary.ok += interval.canary.requests - interval.canary.errors;
      this.simulatedTo += tick;
      this.history.push(this.snapshot(this.simulatedTo));
    }
    // Keep an hour: longer than any window a rollout asks about.
    while (this.history.length > 3_700) this.history.shift();
  }

  async query(expr: string): Promise<Sample[]> {
    this.advance();
    const latest = this.history.at(-1) as Snapshot;
    return evaluate(expr, {
      latest,
      startOf: (rangeMs) => this.history.find((s) => s.time >= latest.time - rangeMs && s !== latest),
    });
  }

  async queryRange(): Promise<Series[]> {
    throw new QueryRejectedError('the simulated source answers instant queries only');
  }

  private snapshot(time: number): Snapshot {
    const samples: Sample[] = [];
    for (const track of ['stable', 'canary'] as const) {
      for (const [code, value] of [
        ['200', this.totals[track].ok],
        ['500', this.totals[track].err],
      ] as const) {
        samples.push({ labels: { __name__: 'http_requests_total', app: 'demo', track, code }, value });
      }
      const total = this.totals[track].ok + this.totals[track].err;
      const median = this.options.medianLatencySeconds?.[track === 'stable' ? 'primary' : 'canary'] ?? 0.02;
      for (const le of BUCKETS) {
        samples.push({
          labels: {
            __name__: 'http_request_duration_seconds_bucket',
            app: 'demo',
            track,
            le: le === Number.POSITIVE_INFINITY ? '+Inf' : String(le),
          },
          value: Math.round(total * logNormalCdf(le, median, 0.5)),
        });
      }
    }
    return { time, samples };
  }
}
