import { ConfigurationError } from '../config/errors.js';
import { ALL_PRIMARY, type Weights } from './router.js';

/**
 * `reset()` of the routers that edit one route object (Istio, Gateway API, SMI): without a route
 * that glidepath split (none, or the route is missing or unmanaged), it never sent traffic to the
 * canary, so there is nothing to undo; otherwise every request goes back to the primary.
 */
export async function resetToPrimary(
  readWeights: () => Promise<Weights | undefined>,
  setWeights: (weights: Weights) => Promise<Weights>,
): Promise<Weights> {
  let current: Weights | undefined;
  try {
    current = await readWeights();
  } catch (e: unknown) {
    if (e instanceof ConfigurationError) return ALL_PRIMARY;
    throw e;
  }
  if (current === undefined) return ALL_PRIMARY;
  return setWeights(ALL_PRIMARY);
}
