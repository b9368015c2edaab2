import type { TrackCounts } from '../analysis/compare.js';
import { mulberry32, sampleBinomial, sampleNormal } from './random.js';

/**
 * A deterministic traffic simulator: requests arrive at a fixed rate, the
 * router sends each to the canary with probability weight/100, and each
 * request fails with its track's error probability. Same options and seed,
 * same counters, so a whole rollout can run in simulated time.
 */

/** Log-normal latency: the median and the standard deviation of ln(latency). */
export interface LatencyModel {
  medianMs: number;
  sigma: number;
}

export interface TrafficSimulatorOptions {
  /** Requests per second over both tracks. */
  rps: number;
  /** Probability that one request fails, per track. */
  errorProbability: { primary: number; canary: number };
  seed: number;
  /** When given, each interval also returns latency samples per track. */
  latency?: {
    primary: LatencyModel;
    canary: LatencyModel;
    /** At most this many samples per track and interval (default 200), to keep long runs cheap. */
    maxSamplesPerInterval?: number;
  };
}

export interface SimulatedInterval {
  /** Simulated seconds since the start, at the end of this interval. */
  timeSeconds: number;
  /** Canary weight in percent during this interval. */
  canaryWeight: number;
  /** Counts in this interval only. */
  interval: { primary: TrackCounts; canary: TrackCounts };
  /** Counts since the start (what a Prometheus counter would read). */
  cumulative: { primary: TrackCounts; canary: TrackCounts };
  latencyMs?: { primary: number[]; canary: number[] };
}

export interface TrafficSimulator {
  /** Simulates `seconds` of traffic at `canaryWeight` percent to the canary. */
  advance(seconds: number, canaryWeight: number): SimulatedInterval;
}

export function createTrafficSimulator(options: TrafficSimulatorOptions): TrafficSimulator {
  checkProbability(options.errorProbability.primary, 'errorProbability.primary');
  checkProbability(options.errorProbability.canary, 'errorProbability.canary');
  if (!(Number.isFinite(options.rps) && options.rps >= 0)) {
    throw new RangeError(`rps must be a non-negative number (got ${options.rps})`);
  }
  const rng = mulberry32(options.seed);
  const primary: TrackCounts = { requests: 0, errors: 0 };
  const canary: TrackCounts = { requests: 0, errors: 0 };
  let timeSeconds = 0;
  // Fractional requests carried over, so 0.5 rps over two 1-second ticks is 1 request.
  let carry = 0;
  const maxSamples = options.latency?.maxSamplesPerInterval ?? 200;

  return {
    advance(seconds: number, canaryWeight: number): SimulatedInterval {
      if (!(Number.isFinite(seconds) && seconds >= 0)) {
        throw new RangeError(`seconds must be a non-negative number (got ${seconds})`);
      }
      if (!(canaryWeight >= 0 && canaryWeight <= 100)) {
        throw new RangeError(`canaryWeight must be a percentage between 0 and 100 (got ${canaryWeight})`);
      }
      const exact = options.rps * seconds + carry;
      const total = Math.floor(exact);
      carry = exact - total;
      const canaryRequests = sampleBinomial(rng, total, canaryWeight / 100);
      const primaryRequests = total - canaryRequests;
      const canaryErrors = sampleBinomial(rng, canaryRequests, options.errorProbability.canary);
      const primaryErrors = sampleBinomial(rng, primaryRequests, options.errorProbability.primary);
      primary.requests += primaryRequests;
      primary.errors += primaryErrors;
      canary.requests += canaryRequests;
      canary.errors += canaryErrors;
      timeSeconds += seconds;
      const result: SimulatedInterval = {
        timeSeconds,
        canaryWeight,
        interval: {
          primary: { requests: primaryRequests, errors: primaryErrors },
          canary: { requests: canaryRequests, errors: canaryErrors },
        },
        cumulative: { primary: { ...primary }, canary: { ...canary } },
      };
      if (options.latency) {
        result.latencyMs = {
          primary: latencySamples(rng, options.latency.primary, Math.min(primaryRequests, maxSamples)),
          canary: latencySamples(rng, options.latency.canary, Math.min(canaryRequests, maxSamples)),
        };
      }
      return result;
    },
  };
}

export interface TrafficScheduleOptions extends TrafficSimulatorOptions {
  tickSeconds: number;
  /** Canary weight in percent for each tick; the run has one tick per entry. */
  weights: readonly number[];
}

/** Runs a fixed weight schedule and returns one interval per tick. */
export function simulateTraffic(options: TrafficScheduleOptions): SimulatedInterval[] {
  const simulator = createTrafficSimulator(options);
  return options.weights.map((weight) => simulator.advance(options.tickSeconds, weight));
}

function latencySamples(rng: { next(): number }, model: LatencyModel, count: number): number[] {
  const mu = Math.log(model.medianMs);
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = Math.exp(mu + model.sigma * sampleNormal(rng));
  return out;
}

function checkProbability(p: number, name: string): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${name} must be a probability between 0 and 1 (got ${p})`);
}
