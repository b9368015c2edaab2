import type { KubernetesObject, V1Deployment, V1PodSpec } from '@kubernetes/client-node';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { type ConfigProblem, ConfigurationError } from '../config/errors.js';
import { parseYamlDocuments } from '../config/yaml-document.js';

/**
 * Finds the service's Deployment in a manifest file (kustomize or helm output
 * may hold many objects) and checks it against the official schema before
 * anything is sent to the cluster.
 */
export function readDeploymentManifest(
  text: string,
  file: string,
  service: string,
  namespace?: string,
): V1Deployment {
  return findDeployment(parseYamlDocuments(text, file), file, service, namespace);
}

/** What a rollout takes from the rendered manifest. */
export interface RolloutManifest {
  deployment: V1Deployment;
  /** The container that gets the new image. */
  container: string;
  /** A HorizontalPodAutoscaler in the manifest that scales the Deployment. */
  autoscaler?: KubernetesObject;
  /** The manifest's ConfigMaps and Secrets (hash-suffixed or not), which the pod spec may reference. */
  configObjects: KubernetesObject[];
}

/** The Deployment, the container to update, and the objects beside it that a rollout carries. */
export function readRolloutManifest(
  text: string,
  file: string,
  service: string,
  container?: string,
  namespace?: string,
): RolloutManifest {
  const documents = parseYamlDocuments(text, file);
  const deployment = findDeployment(documents, file, service, namespace);
  const name = deployment.metadata?.name ?? service;
  const objects = documents
    .map((d) => d.value as KubernetesObject | null)
    .filter((o): o is KubernetesObject => typeof o === 'object' && o !== null);
  const autoscaler = objects.find((o) => {
    const ref = (o as { spec?: { scaleTargetRef?: { kind?: string; name?: string } } }).spec?.scaleTargetRef;
    return o.kind === 'HorizontalPodAutoscaler' && ref?.kind === 'Deployment' && ref.name === name;
  });
  return {
    deployment,
    container: chooseContainer(deployment.spec?.template?.spec, { file, service, configured: container }),
    ...(autoscaler ? { autoscaler } : {}),
    configObjects: objects.filter(
      (o) => (o.kind === 'ConfigMap' || o.kind === 'Secret') && o.apiVersion === 'v1',
    ),
  };
}

/**
 * The container named in the config, else the one named like the service, else the only one: never
 * simply the first, which in a pod with sidecars (istio-proxy, a log shipper) is often not the app.
 */
export function chooseContainer(
  podSpec: V1PodSpec | undefined,
  where: { file: string; service: string; configured?: string },
): string {
  const names = (podSpec?.containers ?? []).map((c) => c.name);
  const list = names.map((n) => `"${n}"`).join(', ');
  if (where.configured !== undefined) {
    if (names.includes(where.configured)) return where.configured;
    throw new ConfigurationError([
      {
        file: where.file,
        field: 'spec.template.spec.containers',
        message: `has no container named "${where.configured}" (the rollout config's container), found ${list || 'none'}; set container to one of them`,
      },
    ]);
  }
  if (names.includes(where.service)) return where.service;
  if (names.length === 1) return names[0] as string;
  throw new ConfigurationError([
    {
      file: where.file,
      field: 'spec.template.spec.containers',
      message: `has ${names.length} containers (${list}) and none is named "${where.service}": set container in the rollout config to the one that gets the new image`,
    },
  ]);
}

function findDeployment(
  documents: ReturnType<typeof parseYamlDocuments>,
  file: string,
  service: string,
  namespace?: string,
): V1Deployment {
  const deployments = documents.filter((d) => (d.value as { kind?: unknown } | null)?.kind === 'Deployment');
  const named = deployments.filter(
    (d) => (d.value as { metadata?: { name?: unknown } }).metadata?.name === service,
  );
  const chosen =
    (namespace !== undefined ? inNamespace(named, file, service, namespace) : named[0]) ??
    (deployments.length === 1 ? deployments[0] : undefined);
  if (!chosen) {
    const found = deployments
      .map((d) => (d.value as { metadata?: { name?: string } }).metadata?.name)
      .join(', ');
    throw new ConfigurationError([
      {
        file,
        field: 'manifest',
        message: `holds no Deployment named "${service}"${found ? ` (found: ${found})` : ' (no Deployment at all)'}: point manifest at the rendered manifest of the service, or set service to the Deployment's name`,
      },
    ]);
  }
  const problems: ConfigProblem[] = [];
  try {
    new Deployment(chosen.value as ConstructorParameters<typeof Deployment>[0]).validate();
  } catch (e: unknown) {
    const errors = (e as { errors?: Array<{ instancePath?: string; message?: string }> }).errors ?? [];
    for (const error of errors.length > 0 ? errors : [{ message: (e as Error).message }]) {
      const path = (error.instancePath ?? '')
        .split('/')
        .filter(Boolean)
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
      const at = chosen.positionOf(path);
      problems.push({
        file,
        line: at?.line,
        column: at?.column,
        field: path.join('.') || 'manifest',
        message: `${error.message ?? 'is invalid'} (Kubernetes Deployment schema)`,
      });
    }
  }
  const deployment = chosen.value as V1Deployment;
  const containers = deployment.spec?.template?.spec?.containers ?? [];
  if (problems.length === 0 && containers.length === 0)
    problems.push({ file, field: 'spec.template.spec.containers', message: 'has no container to update' });
  const matchLabels = deployment.spec?.selector?.matchLabels ?? {};
  const podLabels = deployment.spec?.template?.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(matchLabels)) {
    if (podLabels[key] !== value) {
      problems.push({
        file,
        field: 'spec.selector.matchLabels',
        message: `selects ${key}=${value} but the pod template's labels do not carry it: the Deployment would select no pods`,
      });
    }
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return deployment;
}

type ManifestDocument = ReturnType<typeof parseYamlDocuments>[number];

/**
 * Of the Deployments named like the service, the one in the rollout's namespace. A manifest that
 * holds it in several namespaces (a multi-tenant kustomize overlay, a helm chart rendered twice)
 * must not roll out whichever comes first: one without a namespace counts as the rollout's
 * (kubectl applies it there); none in the rollout's namespace is an error.
 */
function inNamespace(
  named: ManifestDocument[],
  file: string,
  service: string,
  namespace: string,
): ManifestDocument | undefined {
  if (named.length <= 1) {
    const only = named[0];
    const ns = (only?.value as { metadata?: { namespace?: unknown } } | undefined)?.metadata?.namespace;
    if (only && typeof ns === 'string' && ns !== namespace) {
      const at = only.positionOf(['metadata', 'namespace']);
      throw new ConfigurationError([
        {
          file,
          line: at?.line,
          column: at?.column,
          field: 'metadata.namespace',
          message: `the Deployment "${service}" is in namespace "${ns}" but the rollout runs in "${namespace}": set the rollout's namespace to "${ns}" or render the manifest for "${namespace}"`,
        },
      ]);
    }
    return only;
  }
  const namespaceOf = (d: ManifestDocument) =>
    (d.value as { metadata?: { namespace?: unknown } }).metadata?.namespace;
  const matching = named.filter((d) => namespaceOf(d) === namespace || namespaceOf(d) === undefined);
  if (matching.length === 1) return matching[0];
  const found = named.map((d) => String(namespaceOf(d) ?? '(none)')).join(', ');
  throw new ConfigurationError([
    {
      file,
      field: 'manifest',
      message:
        matching.length === 0
          ? `holds the Deployment "${service}" in namespaces ${found} but none in the rollout's namespace "${namespace}": render the manifest for "${namespace}" or set the rollout's namespace`
          : `holds the Deployment "${service}" ${matching.length} times for namespace "${namespace}" (namespaces: ${found}): keep one per namespace`,
    },
  ]);
}

/** `name@sha256:<64 hex>` or `name:tag@sha256:…`: a canary runs exactly the image that was built and tested. */
export function checkImageReference(image: string): ConfigProblem | undefined {
  if (/^[a-z0-9]+([._\-/:][a-z0-9]+)*(:[\w][\w.-]{0,127})?@sha256:[a-f0-9]{64}$/.test(image))
    return undefined;
  return {
    field: 'image',
    message: `"${image}" is not pinned by digest: give name@sha256:<digest> (the build action's image output); a tag can move while the canary runs`,
  };
}
