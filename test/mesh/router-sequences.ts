import { expect } from 'vitest';
import type { TrafficRouter, Weights } from '../../src/mesh/router.js';

const split = (canary: number): Weights => ({ primary: 100 - canary, canary });

/** ensure, then each step's weights, each read back by the answer of setWeights and by getWeights. */
export async function walkSteps(router: TrafficRouter, steps: number[]): Promise<Weights[]> {
  await router.ensure();
  expect(await router.getWeights()).toEqual(split(0));
  const seen: Weights[] = [];
  for (const canary of steps) {
    expect(await router.setWeights(split(canary))).toEqual(split(canary));
    const read = await router.getWeights();
    expect(read).toEqual(split(canary));
    seen.push(read as Weights);
  }
  return seen;
}

/** A promotion: 5/10/25/50, then (the primary now runs the new version) back to 100/0. */
export async function promote(router: TrafficRouter): Promise<Weights[]> {
  const seen = await walkSteps(router, [5, 10, 25, 50]);
  expect(await router.reset()).toEqual(split(0));
  expect(await router.getWeights()).toEqual(split(0));
  return seen;
}

/** A rollback at the third step. */
export async function rollBack(router: TrafficRouter): Promise<Weights[]> {
  const seen = await walkSteps(router, [5, 10, 25]);
  expect(await router.reset()).toEqual(split(0));
  expect(await router.getWeights()).toEqual(split(0));
  return seen;
}
