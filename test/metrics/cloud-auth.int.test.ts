import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { evaluateChecks, planGates } from '../../src/analysis/gate.js';
import { ConfigurationError } from '../../src/config/errors.js';
import { loadGateTexts } from '../../src/config/load-gates.js';
import type { SourceConfig } from '../../src/config/source.js';
import { SigV4Auth } from '../../src/metrics/auth/sigv4.js';
import { createMetricsSource } from '../../src/metrics/registry.js';
import type { MetricsSource } from '../../src/metrics/source.js';
import {
  AZURE_CLIENT,
  AZURE_TENANT,
  type FakeCloud,
  fakeCloudSupported,
  GITHUB_REQUEST_TOKEN,
  GOOGLE_AUDIENCE,
  GOOGLE_SERVICE_ACCOUNT,
  IBM_API_KEY,
  IBM_INSTANCE,
  startFakeCloud,
  trustCa,
} from '../support/fake-cloud.js';

if (!fakeCloudSupported())
  console.warn(
    'skipping the cloud auth tests: they need the openssl CLI and Node 24 (tls.setDefaultCACertificates)',
  );

const AWS_KEY = {
  accessKeyId: 'ASIAGLIDEPATHTEST0001',
  secretAccessKey: 'test/secret+key=with/specials',
  sessionToken: 'FwoGZXIvYXdzEJr//session+token/=',
};
const PROMQL =
  'sum(rate(http_requests_total{app="payments",code=~"5..",path!~"/a b/+&=%?#"}[5m])) / sum(rate(http_requests_total{app="payments"}[5m])) > 0.01 or vector(0)';

describe.skipIf(!fakeCloudSupported())(
  'cloud auth on the prometheus source, against local fakes of the clouds',
  () => {
    let cloud: FakeCloud;
    let untrust: () => void;
    let dir: string;
    const sources: MetricsSource[] = [];

    beforeAll(async () => {
      cloud = await startFakeCloud();
      untrust = trustCa(cloud.caPem);
      dir = mkdtempSync(join(tmpdir(), 'glidepath-cloud-auth-'));
      cloud.aws.push(AWS_KEY, { accessKeyId: 'AKIAPROFILEKEY000002', secretAccessKey: 'profile-secret' });
    });
    afterAll(async () => {
      untrust?.();
      await cloud?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    afterEach(async () => {
      vi.unstubAllEnvs();
      cloud.forbid = false;
      cloud.awsClockOffsetMs = 0;
      cloud.queries.length = 0;
      cloud.rejected.length = 0;
      for (const key of Object.keys(cloud.tokenRequests)) delete cloud.tokenRequests[key];
      await Promise.all(sources.splice(0).map((s) => s.close?.()));
    });

    const source = (config: SourceConfig, now?: () => Date): MetricsSource => {
      const s = createMetricsSource(config, { env: process.env, now, mask: () => {} });
      sources.push(s);
      return s;
    };
    const clock = () => new Date(cloud.now());

    /** What configure-aws-credentials exports after assuming a role with OIDC. */
    const stubAwsEnv = () => {
      vi.stubEnv('AWS_ACCESS_KEY_ID', AWS_KEY.accessKeyId);
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', AWS_KEY.secretAccessKey);
      vi.stubEnv('AWS_SESSION_TOKEN', AWS_KEY.sessionToken);
      vi.stubEnv('AWS_REGION', 'eu-west-1');
      vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    };
    const amp = (extra: Partial<Extract<SourceConfig, { provider: 'prometheus' }>> = {}): SourceConfig => ({
      provider: 'prometheus',
      address: `${cloud.url}/workspaces/ws-0a1b2c3d/`,
      auth: { type: 'sigv4', service: 'aps' },
      retries: 0,
      ...extra,
    });

    describe('sigv4 (Amazon Managed Service for Prometheus)', () => {
      it('signs POST form queries with PromQL special characters and a session token; aws4 verifies them server-side', async () => {
        stubAwsEnv();
        const s = source(amp());
        expect(await s.query(PROMQL)).toEqual([{ labels: {}, value: 0.004 }]);
        expect(cloud.queries).toEqual([expect.objectContaining({ api: 'amp', status: 200, query: PROMQL })]);
        expect(cloud.queries[0]?.headers.authorization).toMatch(
          /Credential=ASIAGLIDEPATHTEST0001\/\d{8}\/eu-west-1\/aps\/aws4_request/,
        );
      });

      it('a GET with PromQL in its query string verifies too (the canonical query string encoding)', async () => {
        stubAwsEnv();
        const auth = new SigV4Auth({
          service: 'aps',
          address: cloud.url,
          regionField: 'region',
          env: process.env,
        });
        const url = new URL(`${cloud.url}/workspaces/ws-0a1b2c3d/api/v1/query`);
        url.searchParams.set('query', PROMQL);
        url.searchParams.set('time', '1700000000.5');
        const headers = await auth.authorize({ method: 'GET', url, headers: { accept: 'application/json' } });
        const response = await fetch(url, { headers: { accept: 'application/json', ...headers } });
        expect(response.status).toBe(200);
        expect(cloud.queries.at(-1)).toMatchObject({ status: 200, query: PROMQL });
      });

      it('a tampered request fails the independent verification (the check can fail)', async () => {
        stubAwsEnv();
        const auth = new SigV4Auth({
          service: 'aps',
          address: cloud.url,
          regionField: 'region',
          env: process.env,
        });
        const url = new URL(`${cloud.url}/workspaces/ws-0a1b2c3d/api/v1/query`);
        const body = new URLSearchParams({ query: 'up' }).toString();
        const headers = await auth.authorize({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
        });
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...headers,
            'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
          },
          body: new URLSearchParams({ query: 'sum(up)' }).toString(),
        });
        expect(response.status).toBe(400);
      });

      it('corrects for a skewed clock from the server Date header, once, as the AWS SDKs do', async () => {
        stubAwsEnv();
        cloud.awsClockOffsetMs = 17 * 60_000;
        const s = source(amp());
        expect(await s.query('up')).toEqual([{ labels: {}, value: 0.004 }]);
        expect(cloud.queries.map((q) => q.status)).toEqual([403, 200]);
        // The offset is kept: the next query is right the first time.
        await s.query('up');
        expect(cloud.queries.map((q) => q.status)).toEqual([403, 200, 200]);
      });

      it('takes credentials from a shared credentials profile (AWS_PROFILE) when the environment has no keys', async () => {
        const file = join(dir, 'credentials');
        writeFileSync(
          file,
          '[gate]\naws_access_key_id = AKIAPROFILEKEY000002\naws_secret_access_key = profile-secret\n',
        );
        vi.stubEnv('AWS_ACCESS_KEY_ID', '');
        vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
        vi.stubEnv('AWS_SESSION_TOKEN', '');
        vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', file);
        vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'no-config'));
        vi.stubEnv('AWS_PROFILE', 'gate');
        vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
        const s = source(amp({ auth: { type: 'sigv4', service: 'aps', region: 'us-east-2' } }));
        expect(await s.query('up')).toHaveLength(1);
        expect(cloud.queries[0]?.headers.authorization).toMatch(
          /Credential=AKIAPROFILEKEY000002\/\d{8}\/us-east-2\/aps/,
        );
      });

      it('a 403 names the credential and the aps:QueryMetrics permission, never the secret or session token', async () => {
        stubAwsEnv();
        cloud.forbid = true;
        const error = (await source(amp())
          .query('up')
          .catch((e: unknown) => e)) as Error;
        expect(error.message).toMatch(/HTTP 403 Forbidden/);
        expect(error.message).toMatch(/AWS temporary credentials from the environment \(access key …0001\)/);
        expect(error.message).toMatch(/aps:QueryMetrics/);
        expect(error.message).not.toContain(AWS_KEY.secretAccessKey);
        expect(error.message).not.toContain(AWS_KEY.sessionToken);
      });

      it('no region anywhere is a configuration error naming the field', () => {
        stubAwsEnv();
        vi.stubEnv('AWS_REGION', '');
        vi.stubEnv('AWS_DEFAULT_REGION', '');
        expect(() => source(amp())).toThrow(ConfigurationError);
        expect(() => source(amp())).toThrow(/spec\.source\.auth\.region: no AWS region/);
      });
    });

    describe('azure (Azure Monitor managed Prometheus) after azure/login with OIDC', () => {
      const stubAzureEnv = () => {
        vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_URL', `${cloud.url}/github/token?api-version=2.0`);
        vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_TOKEN', GITHUB_REQUEST_TOKEN);
        vi.stubEnv('AZURE_TENANT_ID', AZURE_TENANT);
        vi.stubEnv('AZURE_CLIENT_ID', AZURE_CLIENT);
        vi.stubEnv('AZURE_AUTHORITY_HOST', `${cloud.url}/entra`);
      };
      const azure = (): SourceConfig => ({
        provider: 'prometheus',
        address: `${cloud.url}/azure`,
        auth: { type: 'azure', audience: 'https://prometheus.monitor.azure.com' },
        retries: 0,
      });

      it('gets an Entra token for the Azure Monitor audience with a GitHub OIDC client assertion, refreshes it before expiry in a long run', async () => {
        stubAzureEnv();
        const s = source(azure(), clock);
        expect(await s.query(PROMQL)).toEqual([{ labels: {}, value: 0.004 }]);
        expect(cloud.rejected).toEqual([]);
        expect(cloud.tokenRequests.entra).toBe(1);
        // MSAL may ask for the assertion more than once; each Entra token needs at least one fresh GitHub token.
        expect(cloud.tokenRequests.github).toBeGreaterThanOrEqual(1);
        await s.query('up');
        expect(cloud.tokenRequests.entra).toBe(1);
        // Two hours of rollout, a tick every 10 minutes: never a 401, a new token before each expiry.
        for (let i = 0; i < 12; i++) {
          cloud.advance(10 * 60_000);
          await s.query('up');
        }
        expect(cloud.queries.every((q) => q.status === 200)).toBe(true);
        expect(cloud.tokenRequests.entra).toBeGreaterThanOrEqual(3);
        expect(cloud.tokenRequests.github).toBeGreaterThanOrEqual(cloud.tokenRequests.entra as number);
      });

      it('a token revoked mid-run: one 401, a fresh token, the query goes on', async () => {
        stubAzureEnv();
        const s = source(azure(), clock);
        await s.query('up');
        cloud.revokeTokens();
        expect(await s.query('up')).toEqual([{ labels: {}, value: 0.004 }]);
        expect(cloud.queries.map((q) => q.status)).toEqual([200, 401, 200]);
        expect(cloud.tokenRequests.entra).toBe(2);
      });

      it('a 403 names the Entra app and the Monitoring Data Reader role, not the token', async () => {
        stubAzureEnv();
        cloud.forbid = true;
        const error = (await source(azure(), clock)
          .query('up')
          .catch((e: unknown) => e)) as Error;
        expect(error.message).toMatch(new RegExp(`Entra app ${AZURE_CLIENT} in tenant ${AZURE_TENANT}`));
        expect(error.message).toMatch(/Monitoring Data Reader role on the Azure Monitor workspace/);
        const token = cloud.queries[0]?.headers.authorization?.replace('Bearer ', '') as string;
        expect(token.length).toBeGreaterThan(20);
        expect(error.message).not.toContain(token);
      });

      it('without AZURE_CLIENT_ID in an OIDC job, a configuration error names clientId and the variable', () => {
        stubAzureEnv();
        vi.stubEnv('AZURE_CLIENT_ID', '');
        expect(() => source(azure())).toThrow(/spec\.source\.auth\.clientId: is required .*AZURE_CLIENT_ID/);
      });
    });

    describe('google (Managed Service for Prometheus) with the external_account file google-github-actions/auth writes', () => {
      const writeCredentials = () => {
        const file = join(dir, 'gha-creds-0123.json');
        writeFileSync(
          file,
          JSON.stringify({
            type: 'external_account',
            audience: GOOGLE_AUDIENCE,
            subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
            token_url: `${cloud.url}/google/sts/v1/token`,
            service_account_impersonation_url: `${cloud.url}/google/iam/v1/projects/-/serviceAccounts/${GOOGLE_SERVICE_ACCOUNT}:generateAccessToken`,
            credential_source: {
              url: `${cloud.url}/github/token?api-version=2.0&audience=${encodeURIComponent(`https:${GOOGLE_AUDIENCE}`)}`,
              headers: { Authorization: `Bearer ${GITHUB_REQUEST_TOKEN}` },
              format: { type: 'json', subject_token_field_name: 'value' },
            },
          }),
        );
        vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', file);
        return file;
      };
      const gmp = (): SourceConfig => ({
        provider: 'prometheus',
        address: `${cloud.url}/gmp/v1/projects/my-project/location/global/prometheus`,
        auth: { type: 'google', scope: 'https://www.googleapis.com/auth/monitoring.read' },
        retries: 0,
      });

      it('exchanges the GitHub token at STS, impersonates the service account, refreshes before expiry', async () => {
        writeCredentials();
        const s = source(gmp(), clock);
        expect(await s.query(PROMQL)).toEqual([{ labels: {}, value: 0.004 }]);
        expect(cloud.rejected).toEqual([]);
        expect(cloud.tokenRequests).toMatchObject({ github: 1, sts: 1, impersonate: 1 });
        for (let i = 0; i < 12; i++) {
          cloud.advance(10 * 60_000);
          await s.query('up');
        }
        expect(cloud.queries.every((q) => q.status === 200)).toBe(true);
        expect(cloud.tokenRequests.impersonate).toBeGreaterThanOrEqual(3);
      });

      it('a revoked token: one 401, then a fresh token; a 403 names the service account and roles/monitoring.viewer', async () => {
        writeCredentials();
        const s = source(gmp(), clock);
        await s.query('up');
        cloud.revokeTokens();
        await s.query('up');
        expect(cloud.queries.map((q) => q.status)).toEqual([200, 401, 200]);
        cloud.forbid = true;
        const error = (await s.query('up').catch((e: unknown) => e)) as Error;
        expect(error.message).toMatch(new RegExp(`impersonating ${GOOGLE_SERVICE_ACCOUNT}`));
        expect(error.message).toMatch(/roles\/monitoring\.viewer/);
      });

      it('a missing credentials file is a configuration error that points at google-github-actions/auth', () => {
        vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', join(dir, 'nope.json'));
        expect(() => source(gmp())).toThrow(
          /credentialsFile: cannot read the Google credentials file .*ENOENT; run google-github-actions\/auth/,
        );
      });
    });

    describe('ibm (IBM Cloud Monitoring) with an API key secret', () => {
      const ibm = (): SourceConfig => ({
        provider: 'prometheus',
        address: `${cloud.url}/ibm/prometheus`,
        auth: {
          type: 'ibm',
          apiKeyEnv: 'IBM_CLOUD_API_KEY',
          instanceId: IBM_INSTANCE,
          iamUrl: `${cloud.url}/iam`,
        },
        retries: 0,
      });

      it('exchanges the API key for an IAM token, sends IBMInstanceID, refreshes before expiry', async () => {
        vi.stubEnv('IBM_CLOUD_API_KEY', IBM_API_KEY);
        const masked: string[] = [];
        const s = createMetricsSource(ibm(), { env: process.env, now: clock, mask: (v) => masked.push(v) });
        sources.push(s);
        expect(await s.query(PROMQL)).toEqual([{ labels: {}, value: 0.004 }]);
        expect(cloud.queries[0]?.headers.ibminstanceid).toBe(IBM_INSTANCE);
        expect(cloud.rejected).toEqual([]);
        for (let i = 0; i < 12; i++) {
          cloud.advance(10 * 60_000);
          await s.query('up');
        }
        expect(cloud.queries.every((q) => q.status === 200)).toBe(true);
        expect(cloud.tokenRequests.iam).toBeGreaterThanOrEqual(3);
        // The key and every token handed out are masked.
        expect(masked).toContain(IBM_API_KEY);
        expect(masked.length).toBe(1 + (cloud.tokenRequests.iam as number));
      });

      it('a wrong API key fails with the IAM error naming the variable, never the key', async () => {
        vi.stubEnv('IBM_CLOUD_API_KEY', 'wrong-key-value-123');
        const error = (await source(ibm(), clock)
          .query('up')
          .catch((e: unknown) => e)) as Error;
        expect(error.name).toBe('MetricsUnavailableError');
        expect(error.message).toMatch(/the IBM Cloud API key in IBM_CLOUD_API_KEY/);
        expect(error.message).not.toContain('wrong-key-value-123');
      });

      it('a 403 names the Reader role on the instance', async () => {
        vi.stubEnv('IBM_CLOUD_API_KEY', IBM_API_KEY);
        cloud.forbid = true;
        await expect(source(ibm(), clock).query('up')).rejects.toThrow(
          new RegExp(`Reader service role on the IBM Cloud Monitoring instance ${IBM_INSTANCE}`),
        );
      });

      it('an unset key variable is a configuration error before any request', () => {
        vi.stubEnv('IBM_CLOUD_API_KEY', '');
        expect(() => source(ibm())).toThrow(
          /spec\.source\.auth\.apiKeyEnv: the environment variable IBM_CLOUD_API_KEY is not set/,
        );
        expect(cloud.tokenRequests.iam).toBeUndefined();
      });
    });

    it('Gate files with each auth type evaluate through planGates and evaluateChecks', async () => {
      stubAwsEnv();
      vi.stubEnv('IBM_CLOUD_API_KEY', IBM_API_KEY);
      const text = (name: string, source: string) => `apiVersion: glidepath.dev/v1
kind: Gate
metadata:
  name: ${name}
spec:
  source:
${source}
  checks:
    - name: error-rate
      query: sum(rate(http_requests_total{app="{{service}}",code=~"5.."}[{{window}}]))
      max: 0.01
  vars:
    service: payments
`;
      const gates = loadGateTexts([
        {
          file: 'amp.yml',
          text: text(
            'amp',
            `    provider: prometheus\n    address: ${cloud.url}/workspaces/ws-0a1b2c3d\n    auth: { type: sigv4 }`,
          ),
        },
        {
          file: 'ibm.yml',
          text: text(
            'ibm',
            `    provider: prometheus\n    address: ${cloud.url}/ibm/prometheus\n    auth: { type: ibm, instanceId: ${IBM_INSTANCE}, iamUrl: '${cloud.url}/iam' }`,
          ),
        },
      ]);
      const report = await evaluateChecks(planGates(gates, { defaultWindow: '5m' }), {
        sourceFor: (c) => source(c, clock),
      });
      expect(report.checks.map((c) => [c.gate, c.status, c.value])).toEqual([
        ['amp', 'pass', 0.004],
        ['ibm', 'pass', 0.004],
      ]);
      expect(report.checks[0]?.query).toBe('sum(rate(http_requests_total{app="payments",code=~"5.."}[5m]))');
    });
  },
);
