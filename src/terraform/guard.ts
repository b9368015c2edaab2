import { isDestructive, type Plan } from './plan.js';

export interface DestroyGuardResult {
  allowed: boolean;
  /** Addresses that would be deleted or replaced. */
  resources: string[];
  message: string;
}

/** Refuses a plan that deletes or replaces anything unless the caller said destroying is fine. */
export function destroyGuard(plan: Plan, allowDestroy: boolean): DestroyGuardResult {
  const resources = plan.resourceChanges
    .filter(isDestructive)
    .map((c) => `${c.address} (${c.kind === 'delete' ? 'delete' : 'replace'})`);
  if (resources.length === 0)
    return { allowed: true, resources, message: 'no resource is deleted or replaced' };
  if (allowDestroy) {
    return {
      allowed: true,
      resources,
      message: `allow-destroy is true: ${resources.length} resource(s) will be deleted or replaced`,
    };
  }
  return {
    allowed: false,
    resources,
    message: `the plan deletes or replaces ${resources.length} resource(s): ${resources.join(', ')}. Set the input allow-destroy: true if this is intended.`,
  };
}
