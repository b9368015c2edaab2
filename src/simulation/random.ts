/**
 * Seeded random numbers for simulations: the same seed gives the same run on
 * every machine, so benchmark figures and test outcomes are reproducible.
 */

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

/**
 * mulberry32 (Tommy Ettinger, public domain): 32 bits of state, period 2^32,
 * passes gjrand and PractRand up to the sizes these simulations draw.
 */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return {
    next(): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Standard normal deviate (Box-Muller; one of the pair is discarded to keep the state simple). */
export function sampleNormal(rng: Random): number {
  let u = rng.next();
  while (u === 0) u = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Below this mean (of the rarer outcome) the binomial is drawn exactly. */
const EXACT_BINOMIAL_MEAN = 30;

/**
 * Binomial(n, p). Exact by inversion of the CDF while the expected count of
 * the rarer outcome is below 30 (cost proportional to that count); above,
 * the normal approximation N(np, np(1-p)) rounded and clamped to [0, n], whose
 * error is negligible at that size for counters of requests and errors.
 */
export function sampleBinomial(rng: Random, n: number, p: number): number {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`n must be a non-negative integer (got ${n})`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be between 0 and 1 (got ${p})`);
  if (n === 0 || p === 0) return 0;
  if (p === 1) return n;
  if (p > 0.5) return n - sampleBinomial(rng, n, 1 - p);
  const mean = n * p;
  if (mean < EXACT_BINOMIAL_MEAN) return binomialInversion(rng, n, p);
  const draw = Math.round(mean + Math.sqrt(mean * (1 - p)) * sampleNormal(rng));
  return Math.min(n, Math.max(0, draw));
}

function binomialInversion(rng: Random, n: number, p: number): number {
  const ratio = p / (1 - p);
  let pmf = Math.exp(n * Math.log1p(-p));
  let cdf = pmf;
  const u = rng.next();
  let k = 0;
  while (u > cdf && k < n) {
    pmf *= (ratio * (n - k)) / (k + 1);
    k++;
    cdf += pmf;
    // Rounding can leave cdf a hair below 1; the remaining mass is negligible.
    if (pmf === 0 && k > n * p) break;
  }
  return k;
}
