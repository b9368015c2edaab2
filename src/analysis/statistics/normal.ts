/**
 * The standard normal distribution, accurate to about 1e-14 so that p-values
 * can be checked digit for digit against scipy and R in the tests.
 *
 * Below |z| = 3 the Taylor series of Marsaglia ("Evaluating the Normal
 * Distribution", J. Stat. Softw. 11(4), 2004) is used; in the tails the
 * Laplace continued fraction, which converges fast there and keeps the
 * relative precision of tiny upper-tail probabilities that 1 - cdf would lose.
 */

const INV_SQRT_2PI = 0.3989422804014327;

export function normalPdf(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/** P(Z > z), the upper tail (survival function). */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  if (z < 0) return 1 - normalSf(-z);
  if (z > 40) return 0;
  if (z < 3) return 0.5 - normalPdf(z) * taylorSum(z);
  return normalPdf(z) / laplaceContinuedFraction(z);
}

/** P(Z <= z). */
export function normalCdf(z: number): number {
  return normalSf(-z);
}

// Phi(z) - 1/2 = pdf(z) * (z + z^3/3 + z^5/(3*5) + ...)
function taylorSum(z: number): number {
  const z2 = z * z;
  let term = z;
  let sum = z;
  for (let k = 3; k < 400; k += 2) {
    term *= z2 / k;
    const next = sum + term;
    if (next === sum) break;
    sum = next;
  }
  return sum;
}

// sf(z) = pdf(z) / (z + 1/(z + 2/(z + 3/(z + ...)))), evaluated backwards.
function laplaceContinuedFraction(z: number): number {
  let tail = z;
  for (let k = 120; k >= 1; k--) tail = z + k / tail;
  return tail;
}
