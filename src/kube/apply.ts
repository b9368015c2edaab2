import { type KubernetesObject, type KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';

/** The field manager every glidepath write is recorded under. */
export const FIELD_MANAGER = 'glidepath';

export interface ApplyOptions {
  /** Take fields other managers own (default true: glidepath owns what it applies). */
  force?: boolean;
  /** Ask the server to validate and default without storing. */
  dryRun?: boolean;
}

/** Server-assigned metadata that must not appear in an applied configuration. */
function applyConfiguration<T extends KubernetesObject>(obj: T): T {
  const copy = structuredClone(obj) as T & { status?: unknown };
  if (copy.metadata) {
    const {
      managedFields: _m,
      resourceVersion: _r,
      uid: _u,
      creationTimestamp: _c,
      generation: _g,
      ...metadata
    } = copy.metadata;
    copy.metadata = metadata;
  }
  delete copy.status;
  return copy;
}

/**
 * Server-side apply with field manager `glidepath`: creates the object or updates the fields
 * glidepath declares, leaving fields other managers own alone (and, with force, taking over
 * the ones glidepath declares). Lists without merge keys (e.g. Istio's `http` routes) are atomic:
 * applying one replaces it whole, so edit those with `updateWithRetry` instead.
 */
export async function applyObject<T extends KubernetesObject>(
  objects: KubernetesObjectApi,
  obj: T,
  options: ApplyOptions = {},
): Promise<KubernetesObject> {
  return objects.patch(
    applyConfiguration(obj),
    undefined,
    options.dryRun ? 'All' : undefined,
    FIELD_MANAGER,
    options.force ?? true,
    PatchStrategy.ServerSideApply,
  );
}
