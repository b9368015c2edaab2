import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import aws4 from 'aws4';
import { createTestCa, issueServerCertificate, opensslInstalled } from './test-ca.js';

/**
 * One HTTPS server on 127.0.0.1 (signed by a throwaway CA) that plays the
 * four clouds' endpoints a metrics query needs: GitHub's OIDC token service,
 * Microsoft Entra, Google STS and IAM Credentials, IBM Cloud IAM, AWS STS, and
 * each cloud's Prometheus-compatible query API, plus CloudWatch and Datadog.
 * Each token endpoint checks the grant type, audience or scope and the
 * assertion it gets, as the real one documents; tokens expire by the fake's
 * clock, and the query APIs answer 401 to a missing, revoked or expired
 * token. SigV4 is verified with the independent `aws4` package, never with
 * the signer the client uses.
 */
export interface FakeCloud {
  url: string;
  /** PEM of the CA that signed the server's certificate. */
  caPem: string;
  /** The fake's clock (ms); tokens expire by it. Tests advance it with `advance`. */
  now(): number;
  advance(ms: number): void;
  /** Server time minus real time for SigV4 date checks: a server whose clock differs from the client's. */
  awsClockOffsetMs: number;
  /** Token requests per endpoint: github, entra, sts, impersonate, iam, aws-sts. */
  tokenRequests: Record<string, number>;
  /** Every request to a query API: path, status, and the query it carried. */
  queries: Array<{
    api: string;
    status: number;
    query?: string;
    headers: Record<string, string | undefined>;
  }>;
  /** Problems a token endpoint found (wrong grant, audience, assertion): what a test expects to be empty. */
  rejected: string[];
  /** Makes every token issued so far invalid: the next query gets a 401. */
  revokeTokens(): void;
  /** Query APIs answer 403 (the identity lacks the role) while set. */
  forbid: boolean;
  /** The value a Prometheus query returns, by query. */
  answer: (query: string) => number;
  /** Lifetime of issued tokens, in seconds. */
  tokenLifetimeSeconds: number;
  aws: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }[];
  /** CloudWatch data: `Namespace/MetricName/Name=Value,...` → value per period. */
  cloudwatch: Map<string, number>;
  datadog: {
    apiKey: string;
    appKey: string;
    series: (query: string) => Array<{ tags: string[]; value: number }>;
  };
  close(): Promise<void>;
}

export const AZURE_TENANT = '7c1b1d6e-0000-4000-8000-00000000a2e0';
export const AZURE_CLIENT = 'f00dfeed-0000-4000-8000-0000000c11e7';
export const GITHUB_REQUEST_TOKEN = 'gh-request-token-for-id-token';
export const IBM_API_KEY = 'ibm-test-api-key-0123456789';
export const IBM_INSTANCE = '0c8c3bb9-3a33-4b45-9f1c-4bdc9c3a7e11';
export const GOOGLE_AUDIENCE =
  '//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/github/providers/glidepath';
export const GOOGLE_SERVICE_ACCOUNT = 'gate-reader@my-project.iam.gserviceaccount.com';

export function fakeCloudSupported(): boolean {
  return opensslInstalled() && typeof tls.setDefaultCACertificates === 'function';
}

/**
 * Trusts the fake's CA process-wide, as a runner trusts the clouds' public
 * CAs: every library (MSAL, google-auth-library's gaxios, the IBM SDK's axios,
 * undici) then verifies the fake's certificate instead of skipping TLS.
 */
export function trustCa(caPem: string): () => void {
  const before = tls.getCACertificates('default');
  tls.setDefaultCACertificates([...before, caPem]);
  return () => tls.setDefaultCACertificates(before);
}

function jwt(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.${randomBytes(16).toString('base64url')}`;
}

function claimsOf(token: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeCloud(): Promise<FakeCloud> {
  const dir = mkdtempSync(join(tmpdir(), 'glidepath-cloud-'));
  const ca = createTestCa(dir, 'cloud-ca');
  const cert = issueServerCertificate(dir, ca, 'cloud', '127.0.0.1');
  let clock = Date.now();
  const issued = new Map<string, { kind: string; expiresAt: number; audience?: string }>();
  const githubTokens = new Set<string>();

  const fake: FakeCloud = {
    url: '',
    caPem: readFileSync(ca.certFile, 'utf8'),
    now: () => clock,
    advance: (ms) => {
      clock += ms;
    },
    awsClockOffsetMs: 0,
    tokenRequests: {},
    queries: [],
    rejected: [],
    revokeTokens: () => issued.clear(),
    forbid: false,
    answer: () => 0.004,
    tokenLifetimeSeconds: 3600,
    aws: [],
    cloudwatch: new Map(),
    datadog: { apiKey: '', appKey: '', series: () => [] },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };

  const count = (name: string) => {
    fake.tokenRequests[name] = (fake.tokenRequests[name] ?? 0) + 1;
  };
  const issue = (kind: string, audience?: string): string => {
    const token = jwt({
      kind,
      aud: audience,
      iat: Math.floor(clock / 1000),
      exp: Math.floor(clock / 1000) + fake.tokenLifetimeSeconds,
      n: randomBytes(4).toString('hex'),
    });
    issued.set(token, { kind, audience, expiresAt: clock + fake.tokenLifetimeSeconds * 1000 });
    return token;
  };
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const refuseGrant = (res: ServerResponse, problem: string) => {
    fake.rejected.push(problem);
    json(res, 400, { error: 'invalid_grant', error_description: problem });
  };

  const prometheusAnswer = (res: ServerResponse, query: string) =>
    json(res, 200, {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [{ metric: {}, value: [clock / 1000, String(fake.answer(query))] }],
      },
    });

  /** A bearer-token query API: 401 for a token that is missing, unknown, revoked or expired by the fake's clock. */
  const bearerApi = async (
    req: IncomingMessage,
    res: ServerResponse,
    api: string,
    kind: string,
    audience?: string,
  ) => {
    const body = await readBody(req);
    const query = new URLSearchParams(body).get('query') ?? undefined;
    const headers = {
      authorization: req.headers.authorization,
      ibminstanceid: req.headers.ibminstanceid as string | undefined,
    };
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const known = token ? issued.get(token) : undefined;
    let status = 200;
    if (
      !known ||
      known.kind !== kind ||
      known.expiresAt <= clock ||
      (audience && known.audience !== audience)
    )
      status = 401;
    else if (kind === 'iam' && req.headers.ibminstanceid !== IBM_INSTANCE) status = 400;
    else if (fake.forbid) status = 403;
    fake.queries.push({ api, status, query, headers });
    if (status === 401)
      return json(
        res,
        401,
        { error: 'invalid or expired token' },
        { 'www-authenticate': 'Bearer error="invalid_token"' },
      );
    if (status === 400)
      return json(res, 400, {
        status: 'error',
        errorType: 'bad_data',
        error: 'IBMInstanceID header missing or unknown',
      });
    if (status === 403)
      return json(res, 403, { error: 'the caller lacks the permission to read this workspace' });
    prometheusAnswer(res, query ?? '');
  };

  /**
   * SigV4 check, recomputed with aws4 from the headers the client says it
   * signed and the body as received (AWS: "Create a canonical request").
   */
  const verifySigV4 = (
    req: IncomingMessage,
    body: string,
    service: string,
  ): { ok: true } | { ok: false; status: number; message: string } => {
    const auth = req.headers.authorization ?? '';
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
        auth,
      );
    if (!m) return { ok: false, status: 403, message: 'Missing Authentication Token' };
    const [, keyId, , region, signedService, signedHeaders, signature] = m as unknown as string[];
    const key = fake.aws.find((k) => k.accessKeyId === keyId);
    if (!key)
      return { ok: false, status: 403, message: 'The security token included in the request is invalid.' };
    if (signedService !== service)
      return {
        ok: false,
        status: 403,
        message: `Credential should be scoped to correct service: '${service}'.`,
      };
    if (key.sessionToken && req.headers['x-amz-security-token'] !== key.sessionToken)
      return { ok: false, status: 403, message: 'The security token included in the request is invalid.' };
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const signedAt = Date.parse(
      amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
    );
    const serverNow = Date.now() + fake.awsClockOffsetMs;
    if (Number.isNaN(signedAt) || Math.abs(serverNow - signedAt) > 5 * 60_000)
      return {
        ok: false,
        status: 403,
        message: `Signature expired: ${amzDate} is now earlier than the allowed window`,
      };
    const contentHash = req.headers['x-amz-content-sha256'];
    if (contentHash && contentHash !== createHash('sha256').update(body).digest('hex'))
      return {
        ok: false,
        status: 400,
        message: 'The provided x-amz-content-sha256 header does not match what was computed.',
      };
    const names = (signedHeaders as string).split(';');
    if (!names.includes('host') || !names.includes('x-amz-date'))
      return { ok: false, status: 403, message: 'host and x-amz-date must be signed' };
    const headers: Record<string, string> = {};
    for (const name of names) headers[name] = String(req.headers[name] ?? '');
    const recomputed = aws4.sign(
      {
        host: req.headers.host,
        method: req.method,
        path: req.url,
        headers,
        body,
        service,
        region,
        extraHeadersToIgnore: { 'content-length': true },
      } as aws4.Request,
      key,
    );
    const expected = /Signature=([0-9a-f]{64})/.exec(String(recomputed.headers?.Authorization ?? ''))?.[1];
    if (expected !== signature)
      return {
        ok: false,
        status: 403,
        message: 'The request signature we calculated does not match the signature you provided.',
      };
    return { ok: true };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', fake.url);
    const path = url.pathname;

    // GitHub Actions OIDC (docs.github.com: "Configuring OpenID Connect in cloud providers").
    if (path === '/github/token' && req.method === 'GET') {
      count('github');
      if (
        req.headers.authorization !== `Bearer ${GITHUB_REQUEST_TOKEN}` &&
        req.headers.authorization !== `bearer ${GITHUB_REQUEST_TOKEN}`
      )
        return json(res, 401, { message: 'bad request token' });
      const audience = url.searchParams.get('audience') ?? `https://github.com/glidepath`;
      const value = jwt({
        iss: 'https://token.actions.githubusercontent.com',
        sub: 'repo:org/payments:ref:refs/heads/main',
        aud: audience,
        exp: Math.floor(clock / 1000) + 300,
      });
      githubTokens.add(value);
      return json(res, 200, { value });
    }

    // Microsoft Entra (MSAL): OpenID metadata, then the client-credentials grant with a JWT client assertion.
    const entra = /^\/entra\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(
      path,
    );
    if (entra) {
      const tenant = entra[1] as string;
      const base = `${fake.url}/entra/${tenant}`;
      if (entra[2]?.startsWith('v2.0'))
        return json(res, 200, {
          token_endpoint: `${base}/oauth2/v2.0/token`,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          issuer: `${fake.url}/entra/${tenant}/v2.0`,
          end_session_endpoint: `${base}/oauth2/v2.0/logout`,
          jwks_uri: `${base}/discovery/v2.0/keys`,
          response_types_supported: ['code', 'id_token', 'token'],
        });
      count('entra');
      const form = new URLSearchParams(await readBody(req));
      if (tenant !== AZURE_TENANT) return refuseGrant(res, `AADSTS90002: tenant ${tenant} not found`);
      if (form.get('grant_type') !== 'client_credentials')
        return refuseGrant(res, `grant_type ${form.get('grant_type')}`);
      if (form.get('client_id') !== AZURE_CLIENT)
        return refuseGrant(res, `AADSTS700016: client ${form.get('client_id')}`);
      if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
        return refuseGrant(res, `client_assertion_type ${form.get('client_assertion_type')}`);
      const assertion = form.get('client_assertion') ?? '';
      const claims = claimsOf(assertion);
      if (!githubTokens.has(assertion) || claims?.aud !== 'api://AzureADTokenExchange')
        return refuseGrant(
          res,
          `AADSTS700212: client assertion audience ${String(claims?.aud)} is not api://AzureADTokenExchange`,
        );
      const scopes = (form.get('scope') ?? '').split(' ');
      const resource = scopes.find((s) => s.endsWith('/.default'));
      if (resource !== 'https://prometheus.monitor.azure.com/.default')
        return refuseGrant(res, `AADSTS500011: scope ${form.get('scope')}`);
      return json(res, 200, {
        token_type: 'Bearer',
        expires_in: fake.tokenLifetimeSeconds,
        ext_expires_in: fake.tokenLifetimeSeconds,
        access_token: issue('entra', 'https://prometheus.monitor.azure.com'),
      });
    }

    // Google STS token exchange (RFC 8693, cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token).
    if (path === '/google/sts/v1/token' && req.method === 'POST') {
      count('sts');
      const form = new URLSearchParams(await readBody(req));
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange')
        return refuseGrant(res, `grant_type ${form.get('grant_type')}`);
      if (form.get('audience') !== GOOGLE_AUDIENCE)
        return refuseGrant(res, `audience ${form.get('audience')}`);
      if (form.get('subject_token_type') !== 'urn:ietf:params:oauth:token-type:jwt')
        return refuseGrant(res, `subject_token_type ${form.get('subject_token_type')}`);
      if (form.get('requested_token_type') !== 'urn:ietf:params:oauth:token-type:access_token')
        return refuseGrant(res, 'requested_token_type');
      const subject = form.get('subject_token') ?? '';
      if (!githubTokens.has(subject) || claimsOf(subject)?.aud !== `https:${GOOGLE_AUDIENCE}`)
        return refuseGrant(res, `subject token audience ${String(claimsOf(subject)?.aud)}`);
      if (!(form.get('scope') ?? '').includes('https://www.googleapis.com/auth/cloud-platform'))
        return refuseGrant(res, `scope ${form.get('scope')}`);
      return json(res, 200, {
        access_token: issue('google-federated'),
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: fake.tokenLifetimeSeconds,
      });
    }
    // IAM Credentials generateAccessToken (service account impersonation).
    const impersonate = /^\/google\/iam\/v1\/projects\/-\/serviceAccounts\/([^:]+):generateAccessToken$/.exec(
      path,
    );
    if (impersonate && req.method === 'POST') {
      count('impersonate');
      const body = JSON.parse(await readBody(req)) as { scope?: string[] };
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const known = issued.get(bearer);
      if (known?.kind !== 'google-federated' || known.expiresAt <= clock)
        return json(res, 401, { error: { code: 401, message: 'federated token invalid' } });
      if (decodeURIComponent(impersonate[1] as string) !== GOOGLE_SERVICE_ACCOUNT)
        return json(res, 403, { error: { code: 403, message: 'iam.serviceAccounts.getAccessToken denied' } });
      if (!body.scope?.includes('https://www.googleapis.com/auth/monitoring.read'))
        return refuseGrant(res, `impersonation scope ${body.scope}`);
      return json(res, 200, {
        accessToken: issue('google'),
        expireTime: new Date(clock + fake.tokenLifetimeSeconds * 1000).toISOString(),
      });
    }

    // IBM Cloud IAM: API key grant (cloud.ibm.com/apidocs/iam-identity-token-api#gettoken-apikey).
    if (path === '/iam/identity/token' && req.method === 'POST') {
      count('iam');
      const form = new URLSearchParams(await readBody(req));
      if (form.get('grant_type') !== 'urn:ibm:params:oauth:grant-type:apikey')
        return refuseGrant(res, `grant_type ${form.get('grant_type')}`);
      if (form.get('apikey') !== IBM_API_KEY) {
        fake.rejected.push('apikey not found');
        return json(res, 400, {
          errorCode: 'BXNIM0415E',
          errorMessage: 'Provided API key could not be found.',
        });
      }
      const token = issue('iam');
      return json(res, 200, {
        access_token: token,
        refresh_token: 'not-supported',
        token_type: 'Bearer',
        expires_in: fake.tokenLifetimeSeconds,
        expiration: Math.floor(clock / 1000) + fake.tokenLifetimeSeconds,
      });
    }

    if (path.startsWith('/azure/api/v1/'))
      return bearerApi(req, res, 'azure', 'entra', 'https://prometheus.monitor.azure.com');
    if (/^\/gmp\/v1\/projects\/[^/]+\/location\/global\/prometheus\/api\/v1\//.test(path))
      return bearerApi(req, res, 'google', 'google');
    if (path.startsWith('/ibm/prometheus/api/v1/')) return bearerApi(req, res, 'ibm', 'iam');

    // Amazon Managed Service for Prometheus: /workspaces/<id>/api/v1/query, SigV4 service aps.
    if (/^\/workspaces\/ws-[^/]+\/api\/v1\/query/.test(path)) {
      const body = await readBody(req);
      const check = verifySigV4(req, body, 'aps');
      const query =
        req.method === 'POST' ? new URLSearchParams(body).get('query') : url.searchParams.get('query');
      const status = !check.ok ? check.status : fake.forbid ? 403 : 200;
      fake.queries.push({
        api: 'amp',
        status,
        query: query ?? undefined,
        headers: { authorization: req.headers.authorization },
      });
      const date = new Date(Date.now() + fake.awsClockOffsetMs).toUTCString();
      if (!check.ok) return json(res, check.status, { message: check.message }, { date });
      if (fake.forbid)
        return json(
          res,
          403,
          {
            message:
              'User: arn:aws:sts::111122223333:assumed-role/gate/ci is not authorized to perform: aps:QueryMetrics',
          },
          { date },
        );
      return prometheusAnswer(res, query ?? '');
    }

    // CloudWatch GetMetricData, AWS JSON 1.0 protocol.
    if (path === '/cloudwatch/' && req.method === 'POST') {
      const body = await readBody(req);
      const check = verifySigV4(req, body, 'monitoring');
      const record = (status: number) =>
        fake.queries.push({
          api: 'cloudwatch',
          status,
          query: body,
          headers: { authorization: req.headers.authorization },
        });
      if (!check.ok) {
        record(check.status);
        return json(res, check.status, {
          __type: 'com.amazonaws.cloudwatch#InvalidSignatureException',
          message: check.message,
        });
      }
      if (fake.forbid) {
        record(403);
        return json(res, 403, {
          __type: 'com.amazonaws.cloudwatch#AccessDeniedException',
          message: 'not authorized to perform: cloudwatch:GetMetricData',
        });
      }
      const problem = cloudWatchShapeProblem(req, body);
      if (problem) {
        record(400);
        return json(res, 400, {
          __type: 'com.amazonaws.cloudwatch#InvalidParameterValueException',
          message: problem,
        });
      }
      record(200);
      return json(res, 200, evaluateMetricData(JSON.parse(body), fake.cloudwatch));
    }

    // Datadog: GET /api/v1/query (docs.datadoghq.com/api/latest/metrics/#query-timeseries-points).
    if (path === '/datadog/api/v1/query' && req.method === 'GET') {
      const query = url.searchParams.get('query') ?? '';
      const from = Number(url.searchParams.get('from'));
      const to = Number(url.searchParams.get('to'));
      const record = (status: number) => fake.queries.push({ api: 'datadog', status, query, headers: {} });
      if (
        req.headers['dd-api-key'] !== fake.datadog.apiKey ||
        req.headers['dd-application-key'] !== fake.datadog.appKey
      ) {
        record(403);
        return json(res, 403, { errors: ['Forbidden'] });
      }
      if (fake.forbid) {
        record(403);
        return json(res, 403, { errors: ['Forbidden'] });
      }
      if (!Number.isInteger(from) || !Number.isInteger(to) || from >= to || !query) {
        record(400);
        return json(res, 400, { errors: ['from, to (integer seconds, from < to) and query are required'] });
      }
      record(200);
      return json(res, 200, {
        status: 'ok',
        res_type: 'time_series',
        from_date: from * 1000,
        to_date: to * 1000,
        query,
        series: fake.datadog.series(query).map((s) => ({
          metric: query.split('{')[0]?.split(':')[1] ?? query,
          scope: s.tags.join(','),
          tag_set: s.tags,
          pointlist: [
            [(to - 120) * 1000, null],
            [(to - 60) * 1000, s.value],
          ],
        })),
      });
    }

    json(res, 404, { error: `no such endpoint ${req.method} ${path}` });
  };

  const server: Server = createServer(
    { cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) },
    (req, res) => {
      handle(req, res).catch((e: unknown) => json(res, 500, { error: String(e) }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  fake.url = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return fake;
}

/** The request shape GetMetricData documents; returns what is wrong, or undefined. */
function cloudWatchShapeProblem(req: IncomingMessage, body: string): string | undefined {
  if (req.headers['x-amz-target'] !== 'GraniteServiceVersion20100801.GetMetricData')
    return `unknown target ${req.headers['x-amz-target']}`;
  if (req.headers['content-type'] !== 'application/x-amz-json-1.0')
    return `content-type ${req.headers['content-type']}`;
  const input = JSON.parse(body) as { MetricDataQueries?: unknown; StartTime?: unknown; EndTime?: unknown };
  if (
    typeof input.StartTime !== 'number' ||
    typeof input.EndTime !== 'number' ||
    input.StartTime >= input.EndTime
  )
    return 'StartTime and EndTime must be epoch seconds, StartTime first';
  if (!Array.isArray(input.MetricDataQueries) || input.MetricDataQueries.length === 0)
    return 'MetricDataQueries is required';
  for (const q of input.MetricDataQueries as Array<Record<string, unknown>>) {
    if (typeof q.Id !== 'string' || !/^[a-z][A-Za-z0-9_]*$/.test(q.Id)) return `invalid Id ${String(q.Id)}`;
    const stat = q.MetricStat as
      | {
          Metric?: { Namespace?: unknown; MetricName?: unknown; Dimensions?: unknown };
          Period?: unknown;
          Stat?: unknown;
        }
      | undefined;
    if (stat) {
      if (typeof stat.Metric?.Namespace !== 'string' || typeof stat.Metric.MetricName !== 'string')
        return `${q.Id}: Namespace and MetricName required`;
      if (typeof stat.Period !== 'number' || stat.Period % 60 !== 0)
        return `${q.Id}: Period must be a multiple of 60`;
      if (typeof stat.Stat !== 'string') return `${q.Id}: Stat required`;
      for (const d of (stat.Metric.Dimensions as Array<{ Name?: unknown; Value?: unknown }> | undefined) ??
        []) {
        if (
          typeof d.Name !== 'string' ||
          typeof d.Value !== 'string' ||
          d.Value.length === 0 ||
          d.Value.length > 1024
        )
          return `${q.Id}: bad dimension`;
      }
    } else if (typeof q.Expression !== 'string') return `${q.Id}: Expression or MetricStat required`;
  }
  return undefined;
}

/**
 * Answers from the store: a MetricStat by its key, and the two metric math
 * forms the tests use, `a / b` and `100 * a / b` (the real service evaluates
 * the full metric math language).
 */
function evaluateMetricData(
  input: { MetricDataQueries: Array<Record<string, unknown>>; EndTime: number },
  store: Map<string, number>,
): unknown {
  const values = new Map<string, number | undefined>();
  const results = [];
  for (const q of input.MetricDataQueries) {
    const id = q.Id as string;
    let value: number | undefined;
    const stat = q.MetricStat as
      | {
          Metric: {
            Namespace: string;
            MetricName: string;
            Dimensions?: Array<{ Name: string; Value: string }>;
          };
        }
      | undefined;
    if (stat) {
      const dims = (stat.Metric.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(',');
      value = store.get(`${stat.Metric.Namespace}/${stat.Metric.MetricName}/${dims}`);
    } else {
      const m = /^\s*(?:(\d+)\s*\*\s*)?([a-z]\w*)\s*\/\s*([a-z]\w*)\s*$/.exec(q.Expression as string);
      const a = m ? values.get(m[2] as string) : undefined;
      const b = m ? values.get(m[3] as string) : undefined;
      value = a !== undefined && b !== undefined && b !== 0 ? (Number(m?.[1] ?? 1) * a) / b : undefined;
    }
    values.set(id, value);
    if (q.ReturnData === false) continue;
    results.push({
      Id: id,
      Label: (q.Label as string | undefined) ?? id,
      Timestamps: value === undefined ? [] : [input.EndTime - 60, input.EndTime - 120],
      Values: value === undefined ? [] : [value, value],
      StatusCode: 'Complete',
    });
  }
  return { MetricDataResults: results, Messages: [] };
}
