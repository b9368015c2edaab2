import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateChecks, planGates } from '../../src/analysis/gate.js';
import { ConfigurationError } from '../../src/config/errors.js';
import { loadGateTexts } from '../../src/config/load-gates.js';
import { PrometheusSource } from '../../src/metrics/prometheus.js';
import { createMetricsSource } from '../../src/metrics/registry.js';
import { MetricsUnavailableError } from '../../src/metrics/source.js';
import { type PrometheusServer, prometheusInstalled, startPrometheus } from '../support/prometheus.js';
import { createTestCa, issueServerCertificate, opensslInstalled, type TestCa } from '../support/test-ca.js';

type Server = PrometheusServer & AsyncDisposable;

// bcrypt (cost 10) of PASSWORD, made once with libxcrypt's crypt(3) so that the
// test needs neither htpasswd nor a bcrypt package; Prometheus only checks it.
const USER = 'gate';
const PASSWORD = 'glidepath-test-password';
const PASSWORD_HASH = '$2b$10$ZOJ0qMWaFUh5qqa2z4SSMeIOZuE4MdvdkqOLT6rh9WNCuU6CgI.DS';

if (!opensslInstalled())
  console.warn('skipping the Prometheus HTTPS tests: the openssl CLI is not installed');

describe.skipIf(!prometheusInstalled() || !opensslInstalled())(
  'Prometheus over HTTPS with a private CA',
  () => {
    let dir: string;
    let ca: TestCa;
    let otherCa: TestCa;
    let prometheus: Server;
    const sleeps: number[] = [];
    const retry = {
      retries: 3,
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'glidepath-tls-'));
      ca = createTestCa(dir, 'ca');
      otherCa = createTestCa(dir, 'other-ca');
      const server = issueServerCertificate(dir, ca, 'server', '127.0.0.1');
      prometheus = (await startPrometheus({
        targets: [],
        web: { tls: { certFile: server.certFile, keyFile: server.keyFile, caFile: ca.certFile } },
      })) as Server;
    });

    afterAll(async () => {
      await prometheus?.[Symbol.asyncDispose]();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('serves HTTPS', () => {
      expect(prometheus.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    });

    it('without caFile, fails at once with a certificate error that points at caFile', async () => {
      sleeps.length = 0;
      const source = new PrometheusSource({ address: prometheus.url, retry, env: {} });
      const error = await source.query('1 + 1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MetricsUnavailableError);
      const message = (error as Error).message;
      expect(message).toMatch(/TLS certificate that could not be verified/);
      expect(message).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
      expect(message).toMatch(/set caFile/);
      expect(message).not.toMatch(/attempts/);
      expect(sleeps).toEqual([]);
      await source.close();
    });

    it('with caFile naming the CA that signed the certificate, queries succeed', async () => {
      const source = new PrometheusSource({ address: prometheus.url, caFile: ca.certFile, retry, env: {} });
      expect(await source.query('1 + 1')).toEqual([{ labels: {}, value: 2 }]);
      await source.close();
    });

    it('with caFile naming another CA, fails with the certificate error and no retries', async () => {
      sleeps.length = 0;
      const source = new PrometheusSource({
        address: prometheus.url,
        caFile: otherCa.certFile,
        retry,
        env: {},
      });
      await expect(source.query('1 + 1')).rejects.toThrow(
        /TLS certificate that could not be verified.*set caFile/,
      );
      expect(sleeps).toEqual([]);
      await source.close();
    });

    it('a Gate file source with caFile passes through createMetricsSource', async () => {
      const gates = loadGateTexts([
        { file: 'tls.yml', text: gateText(prometheus.url, `caFile: '${ca.certFile}'`) },
      ]);
      const planned = planGates(gates, { defaultWindow: '1m' });
      const sources: PrometheusSource[] = [];
      const report = await evaluateChecks(planned, {
        sourceFor: (config) => {
          const source = createMetricsSource(config, { env: {} }) as PrometheusSource;
          sources.push(source);
          return source;
        },
      });
      expect(report.checks[0]?.value).toBe(1);
      expect(report.result).toBe('pass');
      await Promise.all(sources.map((s) => s.close()));
    });

    it('a caFile that does not exist is a ConfigurationError naming caFile, not a raw ENOENT', () => {
      const missing = join(dir, 'no-such-ca.pem');
      const build = () =>
        createMetricsSource({ provider: 'prometheus', address: prometheus.url, caFile: missing });
      expect(build).toThrow(ConfigurationError);
      expect(build).toThrow(
        /spec\.source\.caFile: cannot read the CA bundle .*no-such-ca\.pem: ENOENT; give the path of a PEM file/,
      );
    });

    it('a caFile that is a directory or holds no certificate is a ConfigurationError naming caFile', () => {
      expect(() => new PrometheusSource({ address: prometheus.url, caFile: dir })).toThrow(
        /caFile: cannot read the CA bundle .*EISDIR/,
      );
      const notPem = join(dir, 'not-a-cert.pem');
      writeFileSync(notPem, 'this is not a certificate\n');
      expect(() => new PrometheusSource({ address: prometheus.url, caFile: notPem })).toThrow(
        ConfigurationError,
      );
      expect(() => new PrometheusSource({ address: prometheus.url, caFile: ca.keyFile })).toThrow(
        /caFile: .*holds no PEM certificate/,
      );
    });
  },
);

describe.skipIf(!prometheusInstalled())('Prometheus with basic auth (web config basic_auth_users)', () => {
  let prometheus: Server;
  const env = {
    PROM_USER: USER,
    PROM_PASSWORD: PASSWORD,
    PROM_WRONG: 'not-the-password-42',
    PROM_TOKEN: 'tok-9f8e7d6c5b4a',
  };

  beforeAll(async () => {
    prometheus = (await startPrometheus({
      targets: [],
      web: {
        basicAuthUsers: { [USER]: PASSWORD_HASH },
        probeCredentials: { username: USER, password: PASSWORD },
      },
    })) as Server;
  });

  afterAll(async () => {
    await prometheus?.[Symbol.asyncDispose]();
  });

  async function evaluate(sourceLines: string) {
    const gates = loadGateTexts([{ file: 'auth.yml', text: gateText(prometheus.url, sourceLines) }]);
    const planned = planGates(gates, { defaultWindow: '1m' });
    const sources: PrometheusSource[] = [];
    const report = await evaluateChecks(planned, {
      sourceFor: (config) => {
        const source = createMetricsSource(config, { env }) as PrometheusSource;
        sources.push(source);
        return source;
      },
    });
    await Promise.all(sources.map((s) => s.close()));
    return report;
  }

  it('right credentials from basicAuth.usernameEnv/passwordEnv work', async () => {
    const report = await evaluate('basicAuth: { usernameEnv: PROM_USER, passwordEnv: PROM_PASSWORD }');
    expect(report.checks[0]?.value).toBe(1);
    expect(report.result).toBe('pass');
  });

  it('wrong credentials fail the gate with a 401 that says to check them, without the password', async () => {
    const report = await evaluate('basicAuth: { usernameEnv: PROM_USER, passwordEnv: PROM_WRONG }');
    expect(report.result).toBe('fail');
    const reason = report.checks[0]?.reason ?? '';
    expect(reason).toMatch(/HTTP 401 Unauthorized: check the credentials: the basic auth username "gate"/);
    expect(reason).not.toContain(env.PROM_WRONG);
    expect(reason).not.toContain(Buffer.from(`${USER}:${env.PROM_WRONG}`).toString('base64'));
  });

  it('no credentials at all: a 401 that says which credentials the source can send', async () => {
    const source = new PrometheusSource({ address: prometheus.url, env: {} });
    await expect(source.query('1')).rejects.toThrow(
      /HTTP 401 Unauthorized: check the credentials: .*tokenEnv.*basicAuth/,
    );
    await source.close();
  });

  it('a refused bearer token gives a 401 that says to check the token and never prints it', async () => {
    const direct = new PrometheusSource({ address: prometheus.url, bearerToken: env.PROM_TOKEN, env: {} });
    const error = await direct.query('1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricsUnavailableError);
    expect((error as Error).message).toMatch(
      /HTTP 401 Unauthorized: check the credentials: the bearer token was refused/,
    );
    expect((error as Error).message).not.toContain(env.PROM_TOKEN);
    await direct.close();

    const report = await evaluate('tokenEnv: PROM_TOKEN');
    expect(report.result).toBe('fail');
    expect(report.checks[0]?.reason).toMatch(/401.*bearer token was refused/);
    expect(JSON.stringify(report)).not.toContain(env.PROM_TOKEN);
  });
});

function gateText(address: string, sourceLines: string): string {
  return `apiVersion: glidepath.dev/v1
kind: Gate
metadata:
  name: secured
spec:
  source:
    provider: prometheus
    address: ${address}
    retries: 0
    ${sourceLines}
  checks:
    - name: constant
      query: vector(1)
      max: 2
`;
}
