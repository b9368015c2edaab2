import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parse as parseYaml } from 'yaml';
import type { Cluster, Outcome, PatchType, Target, WriteOptions } from './cluster.js';
import type { FaultInjector, Verb } from './faults.js';
import { jsonPatch, mergePatch } from './patches.js';
import {
  ApiError,
  badRequest,
  conflict,
  internalError,
  methodNotAllowed,
  pathNotFound,
  unauthorized,
  unsupportedMediaType,
} from './status.js';

export interface RequestRecord {
  method: string;
  path: string;
  code: number;
}

export interface ServerOptions {
  cluster: Cluster;
  faults: FaultInjector;
  /** Bearer token every request must carry (unset: no authentication). */
  token?: string;
  requests: RequestRecord[];
  /** Controllers that run on a timer in a real cluster run here before every request. */
  beforeRequest?: () => void;
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | string[]> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  };
  if (warnings.length > 0) headers.warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(code, headers);
  res.end(text);
}

function discovery(cluster: Cluster, segments: string[]): unknown | undefined {
  const groups = cluster.registry.groups();
  if (segments.length === 1 && segments[0] === 'api') {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
    };
  }
  if (segments.length === 1 && segments[0] === 'apis') {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups.entries()]
        .filter(([g]) => g !== '')
        .map(([name, versions]) => ({
          name,
          versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
          preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
        })),
    };
  }
  const isCore = segments[0] === 'api' && segments.length === 2;
  const isGroup = segments[0] === 'apis' && segments.length === 3;
  if (!isCore && !isGroup) return undefined;
  const group = isCore ? '' : (segments[1] ?? '');
  const version = segments.at(-1) ?? '';
  if (!(groups.get(group) ?? []).includes(version)) return undefined;
  const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update'];
  const resources = cluster.registry.types
    .filter((t) => t.group === group && t.versions.includes(version))
    .flatMap((t) => [
      { name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs },
      ...(t.hasStatus
        ? [
            {
              name: `${t.plural}/status`,
              singularName: '',
              namespaced: t.namespaced,
              kind: t.kind,
              verbs: ['get', 'patch', 'update'],
            },
          ]
        : []),
      ...(t.hasScale
        ? [
            {
              name: `${t.plural}/scale`,
              singularName: '',
              namespaced: t.namespaced,
              group: 'autoscaling',
              version: 'v1',
              kind: 'Scale',
              verbs: ['get', 'patch', 'update'],
            },
          ]
        : []),
    ]);
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

interface Route {
  target: Target;
  collection: boolean;
}

function route(cluster: Cluster, segments: string[]): Route | undefined {
  let group: string;
  let rest: string[];
  let version: string;
  if (segments[0] === 'api') {
    group = '';
    version = segments[1] ?? '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis') {
    group = segments[1] ?? '';
    version = segments[2] ?? '';
    rest = segments.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  if (!plural || extra.length > 0) return undefined;
  const type = cluster.registry.find(group, plural);
  if (!type || type.plural !== plural || !type.versions.includes(version)) return undefined;
  if (
    subresource !== undefined &&
    !(subresource === 'status' && type.hasStatus) &&
    !(subresource === 'scale' && type.hasScale)
  )
    return undefined;
  if (type.namespaced && name !== undefined && namespace === undefined) return undefined;
  return {
    target: {
      type,
      version,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(subresource === 'status' || subresource === 'scale' ? { subresource } : {}),
    },
    collection: name === undefined,
  };
}

/** The Deployment `/scale` subresource: GET, PUT, and merge/JSON patches of the Scale object. */
function scaleRequest(
  cluster: Cluster,
  target: Target,
  verb: Verb,
  body: unknown,
  contentType: string,
  options: WriteOptions,
): Outcome {
  if (verb === 'get') return cluster.getScale(target);
  if (verb !== 'update' && verb !== 'patch')
    throw methodNotAllowed('the server does not allow this method on the requested resource');
  let scale = body;
  if (verb === 'patch') {
    const current = cluster.getScale(target).body;
    const patchType = PATCH_TYPES[contentType];
    if (patchType === 'merge' || patchType === 'strategic') scale = mergePatch(current, body);
    else if (patchType === 'json') scale = jsonPatch(current, body);
    else throw unsupportedMediaType(contentType);
  }
  const spec = (scale as { spec?: { replicas?: unknown } } | undefined)?.spec;
  const meta = (scale as { metadata?: { resourceVersion?: unknown } } | undefined)?.metadata;
  if (typeof spec?.replicas !== 'number') throw badRequest('Scale.spec.replicas must be a number');
  return cluster.writeScale(
    target,
    spec.replicas,
    options,
    verb === 'update' && typeof meta?.resourceVersion === 'string' ? meta.resourceVersion : undefined,
  );
}

function verbOf(method: string, collection: boolean): Verb | undefined {
  switch (method) {
    case 'GET':
      return collection ? 'list' : 'get';
    case 'POST':
      return collection ? 'create' : undefined;
    case 'PUT':
      return collection ? undefined : 'update';
    case 'PATCH':
      return collection ? undefined : 'patch';
    case 'DELETE':
      return collection ? undefined : 'delete';
    default:
      return undefined;
  }
}

function parseBody(text: string, contentType: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return contentType === 'application/apply-patch+yaml' ? parseYaml(text) : JSON.parse(text);
  } catch (e: unknown) {
    throw badRequest(`error decoding request body: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function deletePreconditions(body: unknown): { resourceVersion?: string; uid?: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const pre = (body as { preconditions?: unknown }).preconditions;
  if (typeof pre !== 'object' || pre === null) return undefined;
  const { resourceVersion, uid } = pre as { resourceVersion?: unknown; uid?: unknown };
  return {
    ...(typeof resourceVersion === 'string' ? { resourceVersion } : {}),
    ...(typeof uid === 'string' ? { uid } : {}),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: ServerOptions): Promise<void> {
  const { cluster, faults } = options;
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const method = req.method ?? 'GET';
  const segments = url.pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent);
  const record = (code: number) =>
    options.requests.push({ method, path: `${url.pathname}${url.search}`, code });
  try {
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`)
      throw unauthorized();
    if (method === 'GET' && url.pathname === '/version') {
      send(res, 200, {
        major: '1',
        minor: '35',
        gitVersion: 'v1.35.0-glidepath-fake',
        platform: 'linux/amd64',
      });
      record(200);
      return;
    }
    if (method === 'GET') {
      const doc = discovery(cluster, segments);
      if (doc) {
        send(res, 200, doc);
        record(200);
        return;
      }
    }
    options.beforeRequest?.();
    const found = route(cluster, segments);
    if (!found) throw pathNotFound();
    const { target, collection } = found;
    const verb = verbOf(method, collection);
    if (!verb) throw methodNotAllowed(`the server does not allow this method on the requested resource`);
    const fault = faults.take(verb, target.type.plural, target.name);
    if (fault?.kind === 'drop') {
      record(0);
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs ?? 1000));
    if (fault?.kind === 'status500') throw internalError('injected fault');
    if (fault?.kind === 'conflict') throw conflict(target.type.plural, target.type.group, target.name ?? '');
    const q = url.searchParams;
    const fieldValidation = q.get('fieldValidation');
    const writeOptions: WriteOptions = {
      ...(q.get('fieldManager') ? { fieldManager: q.get('fieldManager') ?? '' } : {}),
      force: q.get('force') === 'true',
      dryRun: q.get('dryRun') === 'All',
      ...(fieldValidation === 'Strict' || fieldValidation === 'Warn' || fieldValidation === 'Ignore'
        ? { fieldValidation }
        : {}),
    };
    const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim() ?? '';
    const text = method === 'GET' ? '' : await readBody(req);
    let outcome: Outcome;
    if (target.subresource === 'scale') {
      outcome = scaleRequest(cluster, target, verb, parseBody(text, contentType), contentType, writeOptions);
      send(res, outcome.code, outcome.body, outcome.warnings);
      record(outcome.code);
      return;
    }
    switch (verb) {
      case 'get':
        outcome = cluster.get(target);
        break;
      case 'list':
        outcome = cluster.list(
          target,
          q.get('labelSelector') ?? undefined,
          q.get('fieldSelector') ?? undefined,
        );
        break;
      case 'create':
        outcome = cluster.create(target, parseBody(text, contentType), writeOptions);
        break;
      case 'update':
        outcome = cluster.replace(target, parseBody(text, contentType), writeOptions);
        break;
      case 'patch': {
        const patchType = PATCH_TYPES[contentType];
        if (!patchType) throw unsupportedMediaType(contentType);
        outcome = cluster.patch(target, patchType, parseBody(text, contentType), writeOptions);
        break;
      }
      case 'delete':
        outcome = cluster.delete(
          target,
          writeOptions,
          deletePreconditions(parseBody(text, 'application/json')),
        );
        break;
    }
    send(res, outcome.code, outcome.body, outcome.warnings);
    record(outcome.code);
  } catch (e: unknown) {
    const error = e instanceof ApiError ? e : internalError(e instanceof Error ? e.message : String(e));
    send(res, error.status.code, error.status);
    record(error.status.code);
  }
}

export async function listen(
  options: ServerOptions,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    void handle(req, res, options);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
