import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
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
import { type FakeKube, startFakeKube } from '../support/fake-kube/index.js';
import { hasSharedFixtures } from '../support/shared-fixtures.js';
import {
  deployment,
  imageOf,
  kubeRollout,
  NEW_IMAGE,
  OLD_IMAGE,
  rolloutConfig,
  seedUserObjects,
} from './kube-fixture.js';

if (!fakeCloudSupported())
  console.warn('skipping the rollout-with-cloud-metrics tests: they need the openssl CLI and Node 24');

/**
 * A rollout whose analysis reads Azure Monitor's managed Prometheus with an
 * Entra token (the federated GitHub OIDC login), against the fake cloud and
 * the fake API server: the real metrics source, no simulated metrics.
 */
describe.skipIf(!hasSharedFixtures || !fakeCloudSupported())(
  'a rollout analysed through a cloud-authenticated source',
  () => {
    let fake: FakeKube;
    let cloud: FakeCloud;
    let untrust: () => void;
    let n = 0;
    let dir: string;
    beforeAll(async () => {
      fake = await startFakeKube({ readiness: { afterPolls: 1 } });
      cloud = await startFakeCloud();
      untrust = trustCa(cloud.caPem);
      dir = mkdtempSync(join(tmpdir(), 'glidepath-cloud-rollout-'));
      cloud.aws.push({
        accessKeyId: 'ASIAROLLOUTTEST00001',
        secretAccessKey: 'rollout/secret',
        sessionToken: 'rollout-session',
      });
      for (const workload of ['payments-canary', 'payments-primary']) {
        cloud.cloudwatch.set(
          `AWS/ApplicationELB/HTTPCode_Target_5XX_Count/TargetGroup=targetgroup/${workload}/0a1b`,
          2,
        );
        cloud.cloudwatch.set(
          `AWS/ApplicationELB/RequestCount/TargetGroup=targetgroup/${workload}/0a1b`,
          1000,
        );
      }
      cloud.datadog.apiKey = 'dd-rollout-api-key';
      cloud.datadog.appKey = 'dd-rollout-app-key';
      cloud.datadog.series = (query) =>
        query.includes('version:canary')
          ? [{ tags: ['service:payments', 'version:canary'], value: 0.002 }]
          : [];
    });
    afterAll(async () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      untrust?.();
      await cloud?.close();
      await fake?.stop();
    });
    afterEach(() => {
      vi.unstubAllEnvs();
      cloud.forbid = false;
      cloud.queries.length = 0;
      cloud.rejected.length = 0;
    });

    function setup() {
      n += 1;
      const namespace = `cloud-${n}`;
      seedUserObjects(fake, 'istio', namespace);
      vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_URL', `${cloud.url}/github/token?api-version=2.0`);
      vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_TOKEN', GITHUB_REQUEST_TOKEN);
      const env = {
        ACTIONS_ID_TOKEN_REQUEST_URL: process.env.ACTIONS_ID_TOKEN_REQUEST_URL,
        AZURE_TENANT_ID: AZURE_TENANT,
        AZURE_CLIENT_ID: AZURE_CLIENT,
        AZURE_AUTHORITY_HOST: `${cloud.url}/entra`,
      };
      const config = rolloutConfig('istio', namespace, {
        steps: [10, 50],
        analysis: {
          source: {
            provider: 'prometheus',
            address: `${cloud.url}/azure`,
            auth: { type: 'azure' },
            retries: 0,
          },
          checks: [
            {
              name: 'error-rate',
              query: 'sum(rate(http_requests_total{app="payments",track="{{track}}",code=~"5.."}[1m]))',
              max: 0.01,
            },
          ],
        },
      });
      const rollout = kubeRollout(fake, namespace, { config, env });
      return { namespace, rollout };
    }

    const atStep = (step: number, act: () => void) => (event: { message: string }) => {
      if (event.message.startsWith(`step ${step}/`)) act();
    };

    it('a token that stops working mid-rollout is refreshed on the 401 and the rollout promotes', async () => {
      const { namespace, rollout } = setup();
      const report = await rollout.run({
        metrics: rollout.prepared.metrics,
        onEvent: atStep(2, () => cloud.revokeTokens()),
      });
      await rollout.prepared.metrics.close?.();
      expect(report.outcome, report.reason).toBe('promoted');
      expect(cloud.queries.filter((q) => q.status === 401)).toHaveLength(1);
      expect(cloud.queries.at(-1)?.status).toBe(200);
      expect(
        cloud.queries.some(
          (q) => q.query === 'sum(rate(http_requests_total{app="payments",track="canary",code=~"5.."}[1m]))',
        ),
      ).toBe(true);
      expect(imageOf(fake, namespace, 'payments-primary')).toBe(NEW_IMAGE);
    });

    it('a backend that keeps answering 403 rolls the canary back, naming the role the identity lacks', async () => {
      const { namespace, rollout } = setup();
      const report = await rollout.run({
        metrics: rollout.prepared.metrics,
        onEvent: atStep(2, () => (cloud.forbid = true)),
      });
      await rollout.prepared.metrics.close?.();
      expect(report.outcome).toBe('rolled-back');
      expect(report.reason).toMatch(/HTTP 403 Forbidden/);
      expect(report.reason).toMatch(/Monitoring Data Reader role on the Azure Monitor workspace/);
      expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
      expect(await rollout.prepared.router.getWeights()).toEqual({ primary: 100, canary: 0 });
      expect(deployment(fake, namespace, 'payments-canary')?.spec.replicas ?? 0).toBe(0);
      expect(imageOf(fake, namespace, 'payments-primary')).toBe(OLD_IMAGE);
    });

    const AWS_KEY = {
      accessKeyId: 'ASIAROLLOUTTEST00001',
      secretAccessKey: 'rollout/secret',
      sessionToken: 'rollout-session',
    };
    const CHECK = 'sum(rate(http_requests_total{app="payments",track="{{track}}",code=~"5.."}[1m]))';
    const CW_QUERY = `[{Id: errors, ReturnData: false, MetricStat: {Metric: {Namespace: AWS/ApplicationELB, MetricName: HTTPCode_Target_5XX_Count, Dimensions: [{Name: TargetGroup, Value: "targetgroup/{{workload}}/0a1b"}]}, Period: 60, Stat: Sum}}, {Id: requests, ReturnData: false, MetricStat: {Metric: {Namespace: AWS/ApplicationELB, MetricName: RequestCount, Dimensions: [{Name: TargetGroup, Value: "targetgroup/{{workload}}/0a1b"}]}, Period: 60, Stat: Sum}}, {Id: rate, Expression: errors / requests}]`;
    const awsEnv = {
      AWS_ACCESS_KEY_ID: AWS_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: AWS_KEY.secretAccessKey,
      AWS_SESSION_TOKEN: AWS_KEY.sessionToken,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    /** Each cloud's source block and the credentials its login action leaves in the job. */
    const clouds: Record<
      string,
      () => { source: Record<string, unknown>; query: string; env: Record<string, string> }
    > = {
      'Amazon Managed Service for Prometheus (sigv4)': () => ({
        source: {
          provider: 'prometheus',
          address: `${cloud.url}/workspaces/ws-rollout`,
          auth: { type: 'sigv4', region: 'eu-central-1' },
        },
        query: CHECK,
        env: awsEnv,
      }),
      'Azure Monitor (azure)': () => ({
        source: { provider: 'prometheus', address: `${cloud.url}/azure`, auth: { type: 'azure' } },
        query: CHECK,
        env: {
          ACTIONS_ID_TOKEN_REQUEST_URL: `${cloud.url}/github/token?api-version=2.0`,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: GITHUB_REQUEST_TOKEN,
          AZURE_TENANT_ID: AZURE_TENANT,
          AZURE_CLIENT_ID: AZURE_CLIENT,
          AZURE_AUTHORITY_HOST: `${cloud.url}/entra`,
        },
      }),
      'Google Managed Service for Prometheus (google)': () => {
        const file = join(dir, 'gha-creds-rollout.json');
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
        return {
          source: {
            provider: 'prometheus',
            address: `${cloud.url}/gmp/v1/projects/my-project/location/global/prometheus`,
            auth: { type: 'google' },
          },
          query: CHECK,
          env: { GOOGLE_APPLICATION_CREDENTIALS: file },
        };
      },
      'IBM Cloud Monitoring (ibm)': () => ({
        source: {
          provider: 'prometheus',
          address: `${cloud.url}/ibm/prometheus`,
          auth: { type: 'ibm', instanceId: IBM_INSTANCE, iamUrl: `${cloud.url}/iam` },
        },
        query: CHECK,
        env: { IBM_CLOUD_API_KEY: IBM_API_KEY },
      }),
      CloudWatch: () => ({
        source: { provider: 'cloudwatch', region: 'eu-central-1', endpoint: `${cloud.url}/cloudwatch/` },
        query: CW_QUERY,
        env: awsEnv,
      }),
      Datadog: () => ({
        source: { provider: 'datadog', address: `${cloud.url}/datadog` },
        query: 'sum:trace.http.request.errors{service:{{service}},version:{{track}}}.as_count()',
        env: { DD_API_KEY: 'dd-rollout-api-key', DD_APP_KEY: 'dd-rollout-app-key' },
      }),
    };

    it.each(Object.keys(clouds))(
      'a rollout analysed through %s promotes, every query sent with its credentials',
      async (name) => {
        const { source, query, env } = (clouds[name] as (typeof clouds)[string])();
        for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
        n += 1;
        const namespace = `cloud-${n}`;
        seedUserObjects(fake, 'istio', namespace);
        const config = rolloutConfig('istio', namespace, {
          steps: [10, 50],
          analysis: { source: { ...source, retries: 0 }, checks: [{ name: 'error-rate', query, max: 0.01 }] },
        });
        const rollout = kubeRollout(fake, namespace, { config, env: { ...process.env } });
        const report = await rollout.run({ metrics: rollout.prepared.metrics });
        await rollout.prepared.metrics.close?.();
        expect(report.outcome, report.reason).toBe('promoted');
        expect(cloud.queries.length).toBeGreaterThan(1);
        expect(cloud.queries.every((q) => q.status === 200)).toBe(true);
        expect(cloud.rejected).toEqual([]);
      },
    );
  },
);
