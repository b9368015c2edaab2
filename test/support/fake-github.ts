import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { zipFiles } from './zip.js';

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
 *
 * Tokens act as identities, as on GitHub: the default token is an
 * installation token acting as `github-actions[bot]` (what GITHUB_TOKEN is),
 * `addToken` adds others (a user, another app). A comment's author is the
 * identity of the token that wrote it, so a test plants a comment through the
 * real API with another user's token. Workflow runs and artifacts carry their
 * origin (workflow, event, head SHA, repository and head repository) the way
 * the Actions REST API reports them.
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
  /** The author; comments pushed directly by a test default to github-actions[bot]. */
  user?: Identity;
}

/** Who a token acts as. `installation` tokens (GITHUB_TOKEN, GitHub Apps) cannot call GET /user. */
export interface Identity {
  login: string;
  id: number;
  type: 'User' | 'Bot';
  installation: boolean;
  /** A read-only token (a fork's pull request's GITHUB_TOKEN): every write is 403. */
  readOnly?: boolean;
}

export const GITHUB_ACTIONS_BOT: Identity = {
  login: 'github-actions[bot]',
  id: 41898282,
  type: 'Bot',
  installation: true,
};

export interface StoredRepository {
  id: number;
  fullName: string;
}

/** A workflow run as GET /repos/{owner}/{repo}/actions/runs/{run_id} describes it. */
export interface StoredRun {
  id: number;
  workflowId: number;
  /** The workflow file, e.g. `.github/workflows/infra.yml`. */
  path: string;
  event: string;
  headSha: string;
  headBranch: string;
  /** `owner/repo` the run belongs to (the base repository of a pull request). */
  repository: string;
  /** `owner/repo` the head commit comes from: a fork for a fork's pull request. */
  headRepository: string;
}

/** Where the fake's artifact ZIPs live (the blob storage GitHub redirects to). */
const BLOB_PREFIX = '/_blob/artifacts/';

export interface StoredArtifact {
  id: number;
  name: string;
  runId: number;
  expired: boolean;
  createdAt: string;
  files: Record<string, Buffer>;
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
  readonly tokens = new Map<string, Identity>();
  readonly runs = new Map<number, StoredRun>();
  readonly artifacts = new Map<string, StoredArtifact[]>();
  private readonly repositories = new Map<string, StoredRepository>();
  private clock = Date.parse('2026-01-01T00:00:00Z');
  private readonly handlers = new Map<string, RouteHandler>();
  private nextId = 1000;
  private server: Server | undefined;
  url = '';

  constructor(readonly token = 'fake-token') {
    this.tokens.set(token, GITHUB_ACTIONS_BOT);
    this.installDefaults();
  }

  /** Another token, acting as `identity` (e.g. a user who can comment on pull requests). */
  addToken(token: string, identity: Partial<Identity> & { login: string }): void {
    this.tokens.set(token, {
      id: this.newId(),
      type: identity.login.endsWith('[bot]') ? 'Bot' : 'User',
      installation: identity.login.endsWith('[bot]'),
      ...identity,
    });
  }

  repository(fullName: string): StoredRepository {
    let r = this.repositories.get(fullName);
    if (!r) {
      r = { id: 500 + this.repositories.size, fullName };
      this.repositories.set(fullName, r);
    }
    return r;
  }

  /** Stores a workflow run and returns its id. */
  addWorkflowRun(run: Omit<StoredRun, 'id' | 'headBranch' | 'headRepository'> & Partial<StoredRun>): number {
    const id = run.id ?? this.newId();
    this.runs.set(id, { headBranch: 'feature', headRepository: run.repository, ...run, id });
    return id;
  }

  /** Stores an artifact uploaded by run `runId`, newest last. */
  addArtifact(name: string, runId: number, files: Record<string, Buffer>, expired = false): StoredArtifact {
    const run = this.runs.get(runId);
    if (!run) throw new Error(`fake-github: no run ${runId}`);
    this.clock += 1000;
    const artifact = {
      id: this.newId(),
      name,
      runId,
      expired,
      createdAt: new Date(this.clock).toISOString(),
      files,
    };
    const list = this.artifacts.get(run.repository) ?? [];
    list.push(artifact);
    this.artifacts.set(run.repository, list);
    return artifact;
  }

  identityOf(headers: IncomingMessage['headers']): Identity {
    const auth = headers.authorization ?? '';
    const token = auth.replace(/^(token|Bearer) /, '');
    return this.tokens.get(token) ?? GITHUB_ACTIONS_BOT;
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
    const user = c.user ?? GITHUB_ACTIONS_BOT;
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      body: c.body,
      html_url: `https://github.com/${owner}/${repo}/issues/${c.issue_number}#issuecomment-${c.id}`,
      issue_url: `${this.url}/repos/${owner}/${repo}/issues/${c.issue_number}`,
      user: { login: user.login, id: user.id, type: user.type },
      author_association: user.type === 'Bot' ? 'NONE' : 'CONTRIBUTOR',
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    };
  }

  runJson(run: StoredRun): Record<string, unknown> {
    const repo = this.repository(run.repository);
    const head = this.repository(run.headRepository);
    return {
      id: run.id,
      name: run.path.split('/').pop(),
      workflow_id: run.workflowId,
      path: run.path,
      event: run.event,
      status: 'completed',
      conclusion: 'success',
      head_sha: run.headSha,
      head_branch: run.headBranch,
      repository: { id: repo.id, full_name: repo.fullName, name: repo.fullName.split('/')[1] },
      head_repository: { id: head.id, full_name: head.fullName, name: head.fullName.split('/')[1] },
      head_repository_id: head.id,
      html_url: `https://github.com/${run.repository}/actions/runs/${run.id}`,
    };
  }

  artifactJson(owner: string, repo: string, a: StoredArtifact): Record<string, unknown> {
    const run = this.runs.get(a.runId) as StoredRun;
    return {
      id: a.id,
      node_id: `MDg6QXJ0aWZhY3Q${a.id}`,
      name: a.name,
      size_in_bytes: Object.values(a.files).reduce((n, b) => n + b.length, 0),
      url: `${this.url}/repos/${owner}/${repo}/actions/artifacts/${a.id}`,
      archive_download_url: `${this.url}/repos/${owner}/${repo}/actions/artifacts/${a.id}/zip`,
      expired: a.expired,
      created_at: a.createdAt,
      updated_at: a.createdAt,
      workflow_run: {
        id: run.id,
        repository_id: this.repository(run.repository).id,
        head_repository_id: this.repository(run.headRepository).id,
        head_branch: run.headBranch,
        head_sha: run.headSha,
      },
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
        user: this.identityOf(req.headers),
      };
      this.repoComments(owner, repo).push(comment);
      return { status: 201, body: this.commentJson(owner, repo, comment) };
    });
    this.handlers.set('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', (req) => {
      const { owner, repo } = req.params as { owner: string; repo: string };
      const comment = this.repoComments(owner, repo).find((c) => c.id === Number(req.params.comment_id));
      if (!comment) return notFound;
      // Only the author (or a maintainer, which no fake token is) may edit a comment.
      if ((comment.user ?? GITHUB_ACTIONS_BOT).login !== this.identityOf(req.headers).login)
        return { status: 403, body: { message: 'Resource not accessible by integration' } };
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
    // docs.github.com/rest/users/users#get-the-authenticated-user: installation tokens get 403.
    this.handlers.set('GET /user', (req) => {
      const who = this.identityOf(req.headers);
      if (who.installation)
        return {
          status: 403,
          body: {
            message: 'Resource not accessible by integration',
            documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
          },
        };
      return { status: 200, body: { login: who.login, id: who.id, type: who.type } };
    });
    this.handlers.set('GET /repos/{owner}/{repo}/actions/runs/{run_id}', (req) => {
      const { owner, repo } = req.params as { owner: string; repo: string };
      const run = this.runs.get(Number(req.params.run_id));
      if (!run || run.repository !== `${owner}/${repo}`) return notFound;
      return { status: 200, body: this.runJson(run) };
    });
    this.handlers.set('GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts', (req) => {
      const { owner, repo } = req.params as { owner: string; repo: string };
      const run = this.runs.get(Number(req.params.run_id));
      if (!run || run.repository !== `${owner}/${repo}`) return notFound;
      const name = req.query.get('name');
      const list = [...(this.artifacts.get(`${owner}/${repo}`) ?? [])]
        .reverse()
        .filter((a) => a.runId === run.id && (name === null || a.name === name));
      return {
        status: 200,
        body: { total_count: list.length, artifacts: list.map((a) => this.artifactJson(owner, repo, a)) },
      };
    });
    this.handlers.set('GET /repos/{owner}/{repo}/actions/artifacts', (req) => {
      const { owner, repo } = req.params as { owner: string; repo: string };
      const name = req.query.get('name');
      // Newest first, as GitHub lists them.
      const list = [...(this.artifacts.get(`${owner}/${repo}`) ?? [])]
        .reverse()
        .filter((a) => name === null || a.name === name);
      const perPage = Number(req.query.get('per_page') ?? 30);
      const page = Number(req.query.get('page') ?? 1);
      const slice = list.slice((page - 1) * perPage, page * perPage);
      const headers: Record<string, string> = {};
      if (page * perPage < list.length) {
        const next = new URLSearchParams(req.query);
        next.set('page', String(page + 1));
        headers.link = `<${this.url}${req.path}?${next}>; rel="next"`;
      }
      return {
        status: 200,
        headers,
        body: { total_count: list.length, artifacts: slice.map((a) => this.artifactJson(owner, repo, a)) },
      };
    });
    // GitHub answers a download with 302 to a short-lived blob URL holding the ZIP
    // (docs.github.com/rest/actions/artifacts#download-an-artifact); @actions/artifact
    // follows it without the token.
    this.handlers.set('GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}', (req) => {
      const { owner, repo } = req.params as { owner: string; repo: string };
      const artifact = (this.artifacts.get(`${owner}/${repo}`) ?? []).find(
        (a) => a.id === Number(req.params.artifact_id),
      );
      if (!artifact || req.params.archive_format !== 'zip') return notFound;
      if (artifact.expired) return { status: 410, body: { message: 'Artifact has expired' } };
      return { status: 302, headers: { location: `${this.url}${BLOB_PREFIX}${artifact.id}.zip?sig=fake` } };
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
      if (method === 'POST' && url.pathname === '/graphql') {
        response = this.graphql(req, raw);
        this.requests.push({ method, path: url.pathname, status: response.status });
        res.writeHead(response.status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(response.body));
        return;
      }
      if (method === 'GET' && url.pathname.startsWith(BLOB_PREFIX)) {
        const id = Number(url.pathname.slice(BLOB_PREFIX.length).replace(/\.zip$/, ''));
        const artifact = [...this.artifacts.values()].flat().find((a) => a.id === id);
        this.requests.push({ method, path: url.pathname, status: artifact ? 200 : 404 });
        if (!artifact) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/zip' });
        res.end(zipFiles(artifact.files));
        return;
      }
      const request = this.validate(req, method, url, raw);
      const handler =
        method !== 'GET' && this.identityOf(req.headers).readOnly
          ? () => ({ status: 403, body: { message: 'Resource not accessible by integration' } })
          : this.handlers.get(`${method} ${request.template}`);
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

  /**
   * GraphQL is a separate API (not in the REST OpenAPI description); only the
   * `viewer { login }` query is answered, as GitHub does for every token kind
   * (docs.github.com/graphql/reference/queries#viewer).
   */
  private graphql(req: IncomingMessage, raw: string): FakeResponse {
    if (!this.authorized(req)) return { status: 401, body: { message: 'Bad credentials' } };
    let query = '';
    try {
      query = String((JSON.parse(raw) as { query?: unknown }).query ?? '');
    } catch {
      return { status: 400, body: { message: 'Problems parsing JSON' } };
    }
    if (/^\s*(query\s*)?\{\s*viewer\s*\{\s*login\s*\}\s*\}\s*$/.test(query))
      return { status: 200, body: { data: { viewer: { login: this.identityOf(req.headers).login } } } };
    this.rejections.push({ method: 'POST', path: '/graphql', reason: `unsupported query ${query}` });
    return {
      status: 200,
      body: { errors: [{ message: `fake-github answers only viewer { login }, got ${query}` }] },
    };
  }

  private authorized(req: IncomingMessage): boolean {
    const auth = req.headers.authorization ?? '';
    const token = auth.replace(/^(token|Bearer) /, '');
    return auth !== token && this.tokens.has(token);
  }

  private validate(req: IncomingMessage, method: string, url: URL, raw: string): FakeRequest {
    const { spec } = loadSpec();
    if (!this.authorized(req)) throw this.reject(req, 401, 'Bad credentials');
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
