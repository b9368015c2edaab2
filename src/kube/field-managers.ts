import type { KubernetesObject } from '@kubernetes/client-node';
import { FIELD_MANAGER } from './apply.js';

/**
 * The field manager, other than glidepath, that most recently wrote under `path` (FieldsV1 keys
 * such as `['f:spec', 'f:http']`), from the object's managedFields: the API server records every
 * writer there, by the name it gave (`argocd-controller`, `kustomize-controller`, `helm`,
 * `kubectl-client-side-apply`, ...). Kubernetes docs, "Server-Side Apply: field management".
 */
export function lastForeignWriter(obj: KubernetesObject, path: string[]): string | undefined {
  let found: { manager: string; time: number } | undefined;
  for (const entry of obj.metadata?.managedFields ?? []) {
    if (!entry.manager || entry.manager === FIELD_MANAGER) continue;
    let node: unknown = entry.fieldsV1;
    for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key];
    if (node === undefined) continue;
    const time = entry.time ? new Date(entry.time).getTime() : 0;
    if (!found || time >= found.time) found = { manager: entry.manager, time };
  }
  return found?.manager;
}
