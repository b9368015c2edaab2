import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { evaluateChecks, planGates } from '../../src/analysis/gate.js';
import { ConfigurationError } from '../../src/config/errors.js';
import { loadGateTexts } from '../../src/config/load-gates.js';
import { renderCloudWatchQuery, renderDatadogQuery } from '../../src/config/query-language.js';
import { createMetricsSource } from '../../src/metrics/registry.js';
import type { MetricsSource } from '../../src/metrics/source.js';
import { type FakeCloud, fakeCloudSupported, startFakeCloud, trustCa } from '../support/fake-cloud.js';

if (!fakeCloudSupported())
  console.warn('skipping the CloudWatch/Datadog tests: they need the openssl CLI and Node 24');

const AWS_KEY = {
  accessKeyId: 'ASIACLOUDWATCHTEST01',
  secretAccessKey: 'cw/secret+key',
  sessionToken: 'cw-session/token+=',
};
const TG = 'targetgroup/payments-canary/0123456789abcdef';

const cloudwatchQuery = `
- Id: errors
  MetricStat:
    Metric:
      Namespace: AWS/ApplicationELB
      MetricName: HTTPCode_Target_5XX_Count
      Dimensions: [{ Name: TargetGroup, Value: "targetgroup/{{service}}-{{track}}/0123456789abcdef" }]
    Period: 60
    Stat: Sum
  ReturnData: false
- Id: requests
  MetricStat:
    Metric:
      Namespace: AWS/ApplicationELB
      MetricName: RequestCount
      Dimensions: [{ Name: TargetGroup, Value: "targetgroup/{{service}}-{{track}}/0123456789abcdef" }]
    Period: 60
    Stat: Sum
  ReturnData: false
- Id: rate
  Expression: errors / requests
  Label: 5xx rate
`;

describe('rendering CloudWatch and Datadog queries', () => {
  const values = { service: 'payments', track: 'canary', window: '5m' };

  it('CloudWatch: template values land only in dimension values, as JSON data', () => {
    const rendered = JSON.parse(renderCloudWatchQuery(cloudwatchQuery, values));
    expect(rendered[0].MetricStat.Metric.Dimensions).toEqual([{ Name: 'TargetGroup', Value: TG }]);
    expect(rendered[2]).toEqual({ Id: 'rate', Expression: 'errors / requests', Label: '5xx rate' });
    // A value with quotes and braces stays one dimension value.
    const odd = JSON.parse(renderCloudWatchQuery(cloudwatchQuery, { ...values, track: 'x"}, {"Id": "y' }));
    expect(odd).toHaveLength(3);
    expect(odd[0].MetricStat.Metric.Dimensions[0].Value).toBe(
      'targetgroup/payments-x"}, {"Id": "y/0123456789abcdef',
    );
  });

  it('CloudWatch: a placeholder in an expression, a namespace or an unquoted value is refused with the fix', () => {
    const where = { file: 'cw.yml', line: 9, field: 'spec.checks[0].query' };
    expect(() =>
      renderCloudWatchQuery("[{Id: a, Expression: \"SEARCH('{{service}}', 'Sum', 60)\"}]", values, where),
    ).toThrow(
      /cw\.yml:9: spec\.checks\[0\]\.query: \[0\] \(a\): template values are allowed only in dimension values/,
    );
    expect(() =>
      renderCloudWatchQuery(
        '[{Id: a, MetricStat: {Metric: {Namespace: "{{service}}", MetricName: M}, Period: 60, Stat: Sum}}]',
        values,
      ),
    ).toThrow(/only in dimension values/);
    expect(() =>
      renderCloudWatchQuery(
        '[{Id: a, MetricStat: {Metric: {Namespace: N, MetricName: M, Dimensions: [{Name: T, Value: {{track}}}]}, Period: 60, Stat: Sum}}]',
        values,
      ),
    ).toThrow(/quote a placeholder/);
    expect(() => renderCloudWatchQuery('not a list', values)).toThrow(ConfigurationError);
    expect(() => renderCloudWatchQuery('[{Id: a, Expression: "b", ReturnData: false}]', values)).toThrow(
      /no query returns data/,
    );
  });

  it('Datadog: values only as tag values inside the scope, and only tag characters', () => {
    expect(
      renderDatadogQuery(
        'sum:trace.http.request.errors{service:{{service}},version:{{track}}}.as_count()',
        values,
      ),
    ).toBe('sum:trace.http.request.errors{service:payments,version:canary}.as_count()');
    expect(() => renderDatadogQuery('sum:{{service}}.errors{*}', values)).toThrow(
      /only in a tag value inside the \{\.\.\.\} scope/,
    );
    expect(() => renderDatadogQuery('sum:errors{service:{{track}}}', { track: 'a} by {host' })).toThrow(
      /characters a Datadog tag cannot/,
    );
    expect(() => renderDatadogQuery('sum:errors{service:{{track}}}', { track: 'a,env:prod' })).toThrow(
      /characters a Datadog tag cannot/,
    );
  });
});

describe.skipIf(!fakeCloudSupported())(
  'CloudWatch and Datadog sources against local fakes of their APIs',
  () => {
    let cloud: FakeCloud;
    let untrust: () => void;
    const sources: MetricsSource[] = [];
    beforeAll(async () => {
      cloud = await startFakeCloud();
      untrust = trustCa(cloud.caPem);
      cloud.aws.push(AWS_KEY);
      cloud.cloudwatch.set(`AWS/ApplicationELB/HTTPCode_Target_5XX_Count/TargetGroup=${TG}`, 3);
      cloud.cloudwatch.set(`AWS/ApplicationELB/RequestCount/TargetGroup=${TG}`, 1000);
      cloud.datadog.apiKey = 'dd-api-key-0123456789abcdef';
      cloud.datadog.appKey = 'dd-app-key-fedcba9876543210';
      cloud.datadog.series = (query) =>
        query.includes('version:canary')
          ? [
              {
                tags: ['service:payments', 'version:canary'],
                value: query.startsWith('sum:trace.http.request.errors') ? 7 : 1000,
              },
            ]
          : [];
    });
    afterAll(async () => {
      untrust?.();
      await cloud?.close();
    });
    afterEach(async () => {
      vi.unstubAllEnvs();
      cloud.forbid = false;
      cloud.queries.length = 0;
      await Promise.all(sources.splice(0).map((s) => s.close?.()));
    });
    const stubAws = () => {
      vi.stubEnv('AWS_ACCESS_KEY_ID', AWS_KEY.accessKeyId);
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', AWS_KEY.secretAccessKey);
      vi.stubEnv('AWS_SESSION_TOKEN', AWS_KEY.sessionToken);
      vi.stubEnv('AWS_REGION', 'us-west-2');
      vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    };
    const gate = (name: string, source: string, query: string, extra = '') => `apiVersion: glidepath.dev/v1
kind: Gate
metadata:
  name: ${name}
spec:
  source:
${source}
  vars:
    service: payments
    track: canary
  checks:
    - name: error-rate
      query: |
${query
  .trim()
  .split('\n')
  .map((l) => `        ${l}`)
  .join('\n')}
      max: 0.01
${extra}`;
    const evaluate = async (texts: Array<{ file: string; text: string }>) =>
      evaluateChecks(planGates(loadGateTexts(texts), { defaultWindow: '5m' }), {
        sourceFor: (c) => {
          const s = createMetricsSource(c, { env: process.env, mask: () => {} });
          sources.push(s);
          return s;
        },
      });

    it('a CloudWatch Gate check: signed GetMetricData (aws4-verified), metric math, the value and the exact query in the result', async () => {
      stubAws();
      const report = await evaluate([
        {
          file: 'cw.yml',
          text: gate(
            'alb',
            `    provider: cloudwatch\n    endpoint: ${cloud.url}/cloudwatch/\n    retries: 0`,
            cloudwatchQuery,
          ),
        },
      ]);
      const check = report.checks[0];
      expect(cloud.queries.map((q) => q.status)).toEqual([200]);
      expect(check).toMatchObject({ status: 'pass', value: 0.003, bound: { max: 0.01 } });
      const sent = JSON.parse(cloud.queries[0]?.query as string);
      expect(sent.MetricDataQueries).toEqual(JSON.parse(check?.query as string));
      expect(sent.ScanBy).toBe('TimestampDescending');
      expect(cloud.queries[0]?.headers.authorization).toMatch(/\/us-west-2\/monitoring\/aws4_request/);
      expect(report.source).toBe(`CloudWatch in us-west-2 at ${cloud.url}`);
    });

    it('CloudWatch with no data is no-data, not zero; a 403 is an error naming cloudwatch:GetMetricData', async () => {
      stubAws();
      const none = cloudwatchQuery.replace(/\{\{track\}\}/g, '{{track}}-gone');
      const empty = await evaluate([
        {
          file: 'cw.yml',
          text: gate(
            'alb',
            `    provider: cloudwatch\n    endpoint: ${cloud.url}/cloudwatch/\n    retries: 0`,
            none,
          ),
        },
      ]);
      expect(empty.checks[0]?.status).toBe('no-data');
      cloud.forbid = true;
      const denied = await evaluate([
        {
          file: 'cw.yml',
          text: gate(
            'alb',
            `    provider: cloudwatch\n    endpoint: ${cloud.url}/cloudwatch/\n    retries: 0`,
            cloudwatchQuery,
          ),
        },
      ]);
      expect(denied.checks[0]?.status).toBe('error');
      expect(denied.checks[0]?.reason).toMatch(
        /AccessDeniedException.*access key …ST01.*cloudwatch:GetMetricData/,
      );
    });

    it('a Datadog Gate check: keys in headers, the latest non-null point, the exact query sent', async () => {
      vi.stubEnv('DD_API_KEY', cloud.datadog.apiKey);
      vi.stubEnv('DD_APP_KEY', cloud.datadog.appKey);
      const query = 'sum:trace.http.request.errors{service:{{service}},version:{{track}}}.as_count()';
      const report = await evaluate([
        {
          file: 'dd.yml',
          text: gate(
            'dd',
            `    provider: datadog\n    site: datadoghq.eu\n    address: ${cloud.url}/datadog\n    retries: 0`,
            query,
            '',
          ),
        },
      ]);
      expect(report.checks[0]).toMatchObject({
        status: 'fail',
        value: 7,
        query: 'sum:trace.http.request.errors{service:payments,version:canary}.as_count()',
      });
      expect(cloud.queries[0]).toMatchObject({ status: 200, query: report.checks[0]?.query });
    });

    it('Datadog: wrong keys are an error naming the key variables and the timeseries_query scope, never the keys', async () => {
      vi.stubEnv('DD_API_KEY', 'wrong-api-key-value');
      vi.stubEnv('DD_APP_KEY', cloud.datadog.appKey);
      const report = await evaluate([
        {
          file: 'dd.yml',
          text: gate(
            'dd',
            `    provider: datadog\n    address: ${cloud.url}/datadog\n    retries: 0`,
            'sum:errors{version:{{track}}}',
          ),
        },
      ]);
      expect(report.checks[0]?.status).toBe('error');
      expect(report.checks[0]?.reason).toMatch(
        /API key \(apiKeyEnv\) and application key \(appKeyEnv\) were refused.*timeseries_query/,
      );
      expect(report.checks[0]?.reason).not.toContain('wrong-api-key-value');
    });

    it('Datadog without its key variables is a configuration error before any request', () => {
      vi.stubEnv('DD_API_KEY', '');
      expect(() =>
        createMetricsSource(
          { provider: 'datadog', site: 'datadoghq.com', apiKeyEnv: 'DD_API_KEY', appKeyEnv: 'DD_APP_KEY' },
          { env: process.env },
        ),
      ).toThrow(/spec\.source\.apiKeyEnv: the environment variable DD_API_KEY is not set/);
    });
  },
);
