import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
} from '@kubernetes/client-node';
import { ConfigurationError } from '../config/errors.js';
import { withRequestErrors } from './api-errors.js';
import { requestSignal, ScopeAbortedError, scopeStopReason } from './request-scope.js';

export interface KubeConfigSource {
  /** The `kubeconfig` input: a file path, the YAML itself, or that YAML base64-encoded. Empty: the environment. */
  kubeconfig?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
  /** Environment to read KUBECONFIG / KUBERNETES_SERVICE_HOST from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Home directory for ~/.kube/config (default os.homedir()). */
  homeDir?: string;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

function looksInline(value: string): boolean {
  return value.includes('\n') || /^\s*(apiVersion|kind|clusters|\{)/.test(value);
}

function decodeBase64Config(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(value) || value.length < 16) return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  return /(^|\n)\s*(apiVersion|clusters):/.test(decoded) ? decoded : undefined;
}

function loadString(kc: KubeConfig, text: string, where: string): void {
  try {
    kc.loadFromString(text);
  } catch (e: unknown) {
    throw new ConfigurationError([
      {
        field: 'kubeconfig',
        message: `expected a kubeconfig (YAML with clusters, users and contexts) in ${where}, but it could not be read: ${e instanceof Error ? e.message : String(e)}`,
      },
    ]);
  }
}

function loadFile(kc: KubeConfig, path: string, field: string): void {
  if (!existsSync(path)) {
    throw new ConfigurationError([
      {
        field,
        message: `expected a kubeconfig file at ${path}, but there is none; pass an existing path or the kubeconfig's YAML content`,
      },
    ]);
  }
  try {
    kc.loadFromFile(path);
  } catch (e: unknown) {
    throw new ConfigurationError([
      {
        field,
        file: path,
        message: `the kubeconfig could not be read: ${e instanceof Error ? e.message : String(e)}`,
      },
    ]);
  }
}

/**
 * The kubeconfig from the input, else as kubectl finds it: KUBECONFIG (several files merged,
 * first wins), ~/.kube/config, then the in-cluster service account. Exec credential plugins
 * (aws eks get-token, gke-gcloud-auth-plugin, kubelogin) run when a request needs a token, as in kubectl.
 */
export function loadKubeConfig(source: KubeConfigSource = {}): KubeConfig {
  const env = source.env ?? process.env;
  const kc = new KubeConfig();
  const input = source.kubeconfig?.trim() ?? '';
  let origin: string;
  if (input !== '') {
    const decoded = decodeBase64Config(input);
    if (decoded !== undefined) {
      loadString(kc, decoded, 'the kubeconfig input (base64)');
      origin = 'the kubeconfig input';
    } else if (looksInline(input)) {
      loadString(kc, input, 'the kubeconfig input');
      origin = 'the kubeconfig input';
    } else {
      loadFile(kc, input, 'kubeconfig');
      origin = input;
    }
  } else if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f !== '');
    loadFile(kc, files[0] ?? '', 'KUBECONFIG');
    for (const file of files.slice(1)) {
      const more = new KubeConfig();
      loadFile(more, file, 'KUBECONFIG');
      kc.mergeConfig(more, true);
    }
    origin = `KUBECONFIG (${env.KUBECONFIG})`;
  } else if (existsSync(join(source.homeDir ?? homedir(), '.kube', 'config'))) {
    const path = join(source.homeDir ?? homedir(), '.kube', 'config');
    loadFile(kc, path, 'kubeconfig');
    origin = path;
  } else if (env.KUBERNETES_SERVICE_HOST && existsSync(SERVICE_ACCOUNT_TOKEN)) {
    kc.loadFromCluster();
    origin = 'the in-cluster service account';
  } else {
    throw new ConfigurationError([
      {
        field: 'kubeconfig',
        message:
          'expected a Kubernetes config, but found none: no kubeconfig input, no KUBECONFIG, no ~/.kube/config and not running in a cluster; set the kubeconfig input or log in to the cluster in an earlier step (e.g. azure/aks-set-context, aws eks update-kubeconfig, google-github-actions/get-gke-credentials)',
      },
    ]);
  }
  if (source.context) {
    if (!kc.getContextObject(source.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new ConfigurationError([
        {
          field: 'context',
          message: `expected one of the contexts in ${origin} (${known.join(', ') || 'none'}), found "${source.context}"`,
        },
      ]);
    }
    kc.setCurrentContext(source.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new ConfigurationError([
      {
        field: 'kubeconfig',
        message: `expected ${origin} to name a current context with a cluster, found none; set current-context or pass a context`,
      },
    ]);
  }
  return kc;
}

export interface KubeClients {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  coordination: CoordinationV1Api;
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
}

/**
 * Every request carries the current request scope's signal and a timeout (request-scope.ts), and
 * fails with a KubeRequestError naming the request and the server (api-errors.ts). client-node
 * calls `applySecurityAuthentication` on the KubeConfig for each request of every API object made
 * from it, with the request's context: the one place to set a signal on all of them.
 */
export function makeKubeClients(config: KubeConfig): KubeClients {
  const authenticate = config.applySecurityAuthentication.bind(config);
  config.applySecurityAuthentication = async (context) => {
    const stopped = scopeStopReason();
    if (stopped !== undefined) throw new ScopeAbortedError(stopped);
    await authenticate(context);
    context.setSignal(requestSignal());
  };
  const server = config.getCurrentCluster()?.server ?? 'the API server';
  return {
    config,
    core: withRequestErrors(config.makeApiClient(CoreV1Api), server),
    apps: withRequestErrors(config.makeApiClient(AppsV1Api), server),
    coordination: withRequestErrors(config.makeApiClient(CoordinationV1Api), server),
    custom: withRequestErrors(config.makeApiClient(CustomObjectsApi), server),
    objects: withRequestErrors(KubernetesObjectApi.makeApiClient(config), server),
  };
}

/** The namespace of the current context, as kubectl defaults it. */
export function contextNamespace(config: KubeConfig): string {
  return config.getContextObject(config.getCurrentContext())?.namespace ?? 'default';
}
