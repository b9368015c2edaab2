import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * An in-process fake of GitHub's REST API on 127.0.0.1, speaking real HTTP to
 * a real Octokit. Every request is checked against GitHub's own OpenAPI
 * description (@octokit/openapi, api.github.com): an unknown path or method is
 * a 404, a bad path or query parameter or a request body that does not match
 * the operation's schema is a 422, as GitHub answers. Stricter than GitHub in
 * one way, on purpose: unknown query parameters are rejected too, since GitHub
 * silently ignores them and that hides bugs. Every rejection is also kept in
 * `rejections` so a test can assert there were none.
 *
 * Issues, pull requests and comments are stored; other endpoints are added by
 * a test with `route(method, '/repos/{owner}/{repo}/deployments', handler)`.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface FakeRequest {
  method: string;
  /** The OpenAPI path template that matched, e.g. `/repos/{owner}/{repo}/issues`. */
  template: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingMessage['headers'];
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type RouteHandler = (request: FakeRequest, fake: FakeGitHub) => FakeResponse | Promise<FakeResponse>;

export interface StoredIssue {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  labels: string[];
  pull_request?: { head_sha: string; merge_commit_sha?: string };
}

export interface StoredComment {
  id: number;
  issue_number: number;
  body: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
}

interface Operation {
  parameters: { name: string; in: string; required?: boolean; schema?: Json }[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Json }> };
}

interface Spec {
  paths: Record<string, Record<string, Operation & { $ref?: string }>>;
  components: { parameters: Record<string, Operation['parameters'][number]> };
}

let spec: Spec | undefined;
let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();
let templates: { template: string; regex: RegExp; names: string[]; literals: number }[] = [];

function loadSpec(): { spec: Spec; ajv: Ajv } {
  if (spec && ajv) return { spec, ajv };
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  spec = JSON.parse(readFileSync(file, 'utf8')) as Spec;
  ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  const addFormats = addFormatsModule as unknown as (a: Ajv) => void;
  addFormats(ajv);
  ajv.addSchema({ components: rebase(spec.components as unknown as Json) } as object, 'gh');
  templates = Object.keys(spec.paths).map((template) => {
    const names: string[] = [];
    const pattern = template
      .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      .replace(/\{([^}]+)\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
    const literals = template.split('/').filter((s) => s && !s.startsWith('{')).length;
    return { template, regex: new RegExp(`^${pattern}$`), names, literals };
  });
  // A literal segment beats a parameter: /issues/comments is not issue number "comments".
  templates.sort((a, b) => b.literals - a.literals);
  return { spec, ajv };
}

/** OpenAPI 3.0 schema to JSON Schema: `nullable` becomes a null type, local refs point into the `gh` schema. */
function rebase(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (!schema || typeof schema !== 'object') return schema;
  const out: { [key: string]: Json } = Object.fromEntries(
    Object.entries(schema)
      .filter(([k]) => k !== 'nullable')
      .map(([k, v]) => [
        k,
        k === '$ref' && typeof v === 'string' && v.startsWith('#') ? `gh${v}` : rebase(v),
      ]),
  );
  if (schema.nullable !== true) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}

function validatorFor(key: string, schema: Json): ValidateFunction {
  let v = validators.get(key);
  if (!v) {
    v = (loadSpec().ajv as Ajv).compile(rebase(schema) as object);
    validators.set(key, v);
  }
  return v;
}

function coerce(value: string, schema: Json): unknown {
  const type = schema && typeof schema === 'object' && !Array.isArray(schema) ? schema.type : undefined;
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  if (type === 'array') return value.split(',');
  return value;
}

class Rejection extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly rejections: { method: string; path: string; reason: string }[] = [];
  readonly issues = new Map<string, StoredIssue[]>();
  readonly comments = new Map<string, StoredComment[]>();
  private readonly handlers = new Map<string, RouteHandler>();
  private nextId = 1000;
  private server: Server | undefined;
  url = '';

  constructor(readonly token = 'fake-token') {
    this.installDefaults();
  }

  static async start(token?: string): Promise<FakeGitHub> {
    const fake = new FakeGitHub(token);
    loadSpec();
    fake.server = createServer((req, res) => {
      fake.handle(req, res).catch((e: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `fake-github bug: ${String(e)}` }));
      });
    });
    await new Promise<void>((resolve) => fake.server?.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Adds or replaces the handler of one operation; the template must be a path of GitHub's API. */
  route(method: string, template: string, handler: RouteHandler): void {
    if (!loadSpec().spec.paths[template]?.[method.toLowerCase()]) {
      throw new Error(`fake-github: ${method} ${template} is not an operation of GitHub's REST API`);
    }
    this.handlers.set(`${method.toUpperCase()} ${template}`, handler);
  }

  newId(): number {
    return this.nextId++;
  }

  repoIssues(owner: string, repo: string): StoredIssue[] {
    const key = `${owner}/${repo}`;
    if (!this.issues.has(key)) this.issues.set(key, []);
    return this.issues.get(key) as StoredIssue[];
  }

  repoComments(owner: string, repo: string): StoredComment[] {
    const key = `${owner}/${repo}`;
    if (!this.comments.has(key)) this.comments.set(key, []);
    return this.comments.get(key) as StoredComment[];
  }

  /** Stores an open pull request (an issue with a head commit) and returns its number. */
  addPullRequest(
    owner: string,
    repo: string,
    pr: { title?: string; headSha: string; mergeCommitSha?: string },
  ): number {
    const issues = this.repoIssues(owner, repo);
    const number = issues.length + 1;
    issues.push({
      id: this.newId(),
      number,
      title: pr.title ?? `PR ${number}`,
      body: null,
      state: 'open',
      labels: [],
      pull_request: {
        head_sha: pr.headSha,
        ...(pr.mergeCommitSha ? { merge_commit_sha: pr.mergeCommitSha } : {}),
      },
    });
    return number;
  }

  issueJson(owner: string, repo: string, issue: StoredIssue): Record<string, unknown> {
    const html = `https://github.com/${owner}/${repo}/${issue.pull_request ? 'pull' : 'issues'}/${issue.number}`;
    return {
      id: issue.id,
      node_id: `I_${issue.id}`,
      number: issue.number,
      title: issue.title,
      body: issue.body,
      state: issue.state,
      labels: issue.labels.map((name, i) => ({ id: i + 1, name })),
      html_url: html,
      url: `${this.url}/repos/${owner}/${repo}/issues/${issue.number}`,
      user: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
      ...(issue.pull_request
        ? {
            pull_request: { url: `${this.url}/repos/${owner}/${repo}/pulls/${issue.number}`, html_url: html },
          }
        : {}),
    };
  }

  commentJson(owner: string, repo: string, c: StoredComment): Record<string, unknown> {
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      body: c.body,
      html_url: `https://github.com/${owner}/${repo}/issues/${c.issue_number}#issuecomment-${c.id}`,
      issue_url: `${this.url}/repos/${owner}/${repo}/issues/${c.issue_number}`,
      user: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    };
  }

  private paginate(req: FakeRequest, items: unknown[]): FakeResponse {
    const perPage = Number(req.query.get('per_page') ?? 30);
    const page = Number(req.query.get('page') ?? 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < items.length) {
      const next = new URLSearchParams(req.query);
      next.set('page', String(page + 1));
      next.set('per_page', String(perPage));
      headers.link = `<${this.url}${req.path}?${next}>; rel="next"`;
    }
    return { status: 200, body: slice, headers };
  }

  private findIssue(p: Record<string, string>): StoredIssue | undefined {
    return this.repoIssues(p.owner as string, p.repo as string).find(
      (i) => i.number === Number(p.issue_number),
    );
  }

  private installDefaults(): void {
    const notFound = { status: 404, body: { message: 'Not Found' } };
    this.handlers.set('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', (req) => {
      const { owner, repo } = req.params as { owner: string; repo: string };
      if (!this.findIssue(req.params)) return notFound;
      const list = this.repoComments(owner, repo).filter(
        (c) => c.issue_number === Number(req.params.issue_number),
      );
      return this.paginate(
        req,
        list.map((c) => this.commentJson(owner, repo, c)),
      );
    });
    this.handlers.set('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', (req) => {
      const { owner, repo } = req.params as { owner: string; repo: string };
      if (!this.findIssue(req.params)) return notFound;
      const comment = {
        id: this.newId(),
        issue_number: Number(req.params.issue_number),
        body: (req.body as { body: string }).body,
      };
      this.repoComments(owner, repo).push(comment);
      return { status: 201, body: this.commentJson(owner, repo, comment) };
    });
    this.handlers.set('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', (req) => {
      const { owner, repo } = req.params as { owner: string; repo: string };
      const comment = this.repoComments(owner, repo).find((c) => c.id === Number(req.params.comment_id));
      if (!comment) return notFound;
      comment.body = (req.body as { body: string }).body;
      return { status: 200, body: this.commentJson(owner, repo, comment) };
    });
    this.handlers.set('GET /repos/{owner}/{repo}/issues', (req) => {
      const { owner, repo } = req.params as { owner: string; repo: string };
      const state = req.query.get('state') ?? 'open';
      const labels = (req.query.get('labels') ?? '').split(',').filter(Boolean);
      const list = this.repoIssues(owner, repo).filter(
        (i) => (state === 'all' || i.state === state) && labels.every((l) => i.labels.includes(l)),
      );
      return this.paginate(
        req,
        list.map((i) => this.issueJson(owner, repo, i)),
      );
    });
    this.handlers.set('POST /repos/{owner}/{repo}/issues', (req) => {
      const { owner, repo } = req.params as { owner: string; repo: string };
      const body = req.body as { title: string; body?: string; labels?: (string | { name: string })[] };
      const issues = this.repoIssues(owner, repo);
      const issue: StoredIssue = {
        id: this.newId(),
        number: issues.length + 1,
        title: String(body.title),
        body: body.body ?? null,
        state: 'open',
        labels: (body.labels ?? []).map((l) => (typeof l === 'string' ? l : l.name)),
      };
      issues.push(issue);
      return { status: 201, body: this.issueJson(owner, repo, issue) };
    });
    this.handlers.set('GET /repos/{owner}/{repo}/issues/{issue_number}', (req) => {
      const issue = this.findIssue(req.params);
      return issue
        ? { status: 200, body: this.issueJson(req.params.owner as string, req.params.repo as string, issue) }
        : notFound;
    });
    this.handlers.set('PATCH /repos/{owner}/{repo}/issues/{issue_number}', (req) => {
      const issue = this.findIssue(req.params);
      if (!issue) return notFound;
      const body = req.body as Partial<{
        title: string;
        body: string;
        state: 'open' | 'closed';
        labels: string[];
      }>;
      if (body.title !== undefined) issue.title = String(body.title);
      if (body.body !== undefined) issue.body = body.body;
      if (body.state !== undefined) issue.state = body.state;
      if (body.labels !== undefined) issue.labels = body.labels;
      return {
        status: 200,
        body: this.issueJson(req.params.owner as string, req.params.repo as string, issue),
      };
    });
    this.handlers.set('GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls', (req) => {
      const { owner, repo, commit_sha } = req.params as { owner: string; repo: string; commit_sha: string };
      const prs = this.repoIssues(owner, repo).filter(
        (i) =>
          i.pull_request &&
          (i.pull_request.head_sha === commit_sha || i.pull_request.merge_commit_sha === commit_sha),
      );
      return {
        status: 200,
        body: prs.map((i) => ({
          ...this.issueJson(owner, repo, i),
          head: { sha: i.pull_request?.head_sha, ref: `branch-${i.number}` },
          merge_commit_sha: i.pull_request?.merge_commit_sha ?? null,
        })),
      };
    });
  }

  private reject(req: IncomingMessage, status: number, reason: string): Rejection {
    this.rejections.push({ method: req.method ?? '', path: req.url ?? '', reason });
    return new Rejection(status, reason);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let response: FakeResponse;
    try {
      const request = this.validate(req, method, url, raw);
      const handler = this.handlers.get(`${method} ${request.template}`);
      if (!handler)
        throw this.reject(
          req,
          501,
          `fake-github has no handler for ${method} ${request.template}; register one with route()`,
        );
      response = await handler(request, this);
    } catch (e: unknown) {
      if (!(e instanceof Rejection)) throw e;
      response = {
        status: e.status,
        body: { message: e.message, documentation_url: 'https://docs.github.com/rest' },
      };
    }
    this.requests.push({ method, path: url.pathname, status: response.status });
    res.writeHead(response.status, {
      'content-type': 'application/json; charset=utf-8',
      ...response.headers,
    });
    res.end(response.body === undefined ? '' : JSON.stringify(response.body));
  }

  private validate(req: IncomingMessage, method: string, url: URL, raw: string): FakeRequest {
    const { spec } = loadSpec();
    const auth = req.headers.authorization ?? '';
    if (auth !== `token ${this.token}` && auth !== `Bearer ${this.token}`)
      throw this.reject(req, 401, 'Bad credentials');
    let match: { template: string; params: Record<string, string> } | undefined;
    for (const t of templates) {
      const m = t.regex.exec(url.pathname);
      if (!m) continue;
      match = {
        template: t.template,
        params: Object.fromEntries(t.names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')])),
      };
      break;
    }
    if (!match) throw this.reject(req, 404, `Not Found: no path ${url.pathname} in GitHub's API`);
    const operation = spec.paths[match.template]?.[method.toLowerCase()];
    if (!operation) throw this.reject(req, 404, `Not Found: ${match.template} has no ${method}`);
    const problems: string[] = [];
    const params = (operation.parameters ?? []).map((p) => {
      const ref = (p as { $ref?: string }).$ref;
      return ref
        ? (spec.components.parameters[ref.split('/').pop() as string] as Operation['parameters'][number])
        : p;
    });
    const known = new Set<string>();
    for (const p of params) {
      if (p.in !== 'path' && p.in !== 'query') continue;
      known.add(p.name);
      const value = p.in === 'path' ? match.params[p.name] : (url.searchParams.get(p.name) ?? undefined);
      if (value === undefined) {
        if (p.required) problems.push(`missing required ${p.in} parameter ${p.name}`);
        continue;
      }
      if (!p.schema) continue;
      const v = validatorFor(`param ${match.template} ${p.name}`, p.schema);
      if (!v(coerce(value, p.schema)))
        problems.push(`${p.in} parameter ${p.name}=${JSON.stringify(value)}: ${ajvText(v)}`);
    }
    for (const name of url.searchParams.keys()) {
      if (!known.has(name)) problems.push(`unknown query parameter ${name} for ${method} ${match.template}`);
    }
    let body: unknown;
    const schema = operation.requestBody?.content?.['application/json']?.schema;
    if (raw.trim() !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        throw this.reject(req, 400, 'Problems parsing JSON');
      }
      if (!operation.requestBody) problems.push(`${method} ${match.template} takes no request body`);
      else if (schema) {
        const v = validatorFor(`body ${method} ${match.template}`, schema);
        if (!v(body)) problems.push(`request body: ${ajvText(v)}`);
      }
    } else if (operation.requestBody?.required) problems.push('request body is required');
    if (problems.length > 0) throw this.reject(req, 422, `Invalid request: ${problems.join('; ')}`);
    return {
      method,
      template: match.template,
      path: url.pathname,
      params: match.params,
      query: url.searchParams,
      body,
      headers: req.headers,
    };
  }
}

function ajvText(v: ValidateFunction): string {
  return (v.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`).join(', ');
}
