/**
 * Which of the user's labels glidepath copies onto the objects it creates (`<svc>-primary`,
 * `<svc>-canary`, their Services and HPA). An allow-list, as Flagger's `-include-label-prefix`:
 * GitOps tools find the objects they own by tracking metadata, and a copy of it makes them adopt
 * and then prune glidepath's objects, because no manifest in Git declares them:
 * - Argo CD tracks by the label `app.kubernetes.io/instance` (argocd-cm
 *   `application.instanceLabelKey`) or the annotation `argocd.argoproj.io/tracking-id`
 *   (Argo CD docs, "Resource Tracking"); with auto-sync prune it deletes what carries them and is
 *   not in Git.
 * - Flux's kustomize-controller and helm-controller garbage-collect by the labels
 *   `kustomize.toolkit.fluxcd.io/{name,namespace}` and `helm.toolkit.fluxcd.io/{name,namespace}`
 *   (Flux docs, "Kustomization: garbage collection").
 * - Helm adopts by `meta.helm.sh/release-*` annotations and `app.kubernetes.io/managed-by: Helm`.
 * Annotations are never copied; glidepath sets its own.
 */
const COPIED_KEYS = new Set(['app', 'version', 'team', 'tier', 'component']);
const COPIED_PREFIX = 'app.kubernetes.io/';
const NEVER_COPIED = new Set(['app.kubernetes.io/instance', 'app.kubernetes.io/managed-by']);

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'glidepath' } as const;

export function copiedLabel(key: string): boolean {
  if (NEVER_COPIED.has(key)) return false;
  return COPIED_KEYS.has(key) || key.startsWith(COPIED_PREFIX);
}

/** The labels of `labels` that may be copied onto an object glidepath owns. */
export function copiedLabels(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([key]) => copiedLabel(key)));
}
