import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { ConfigurationError } from '../../src/config/errors.js';
import { rolloutSchema } from '../../src/config/rollout.js';
import { importCommand } from '../../src/import/cli-import.js';

const canary = `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: shop, namespace: web }
spec:
  provider: istio
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: shop }
  analysis:
    interval: 1m
    threshold: 5
    stepWeight: 10
    maxWeight: 50
    metrics:
      - name: request-success-rate
        thresholdRange: { min: 99 }
        interval: 1m
`;

describe('glidepath import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glidepath-import-'));
  afterEach(() => vi.restoreAllMocks());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a config that passes the rollout schema, led by the notes, to --out', async () => {
    const input = join(dir, 'canary.yaml');
    const output = join(dir, 'rollout.yaml');
    writeFileSync(input, canary);
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await importCommand(['flagger', input, '--out', output])).toBe(0);
    const text = readFileSync(output, 'utf8');
    expect(text).toMatch(/^# Imported from Flagger Canary shop \(.*canary\.yaml:1\)/m);
    expect(text).toContain('# - spec.analysis.threshold:');
    const config = rolloutSchema.parse(parse(text));
    expect(config.steps).toEqual([10, 20, 30, 40, 50]);
    expect(config.analysis?.checks[0]).toMatchObject({ name: 'error-rate', max: 0.01 });
  });

  it('prints to stdout without --out', async () => {
    const input = join(dir, 'stdout.yaml');
    writeFileSync(input, canary);
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await importCommand(['flagger', input])).toBe(0);
    expect(String(write.mock.calls[0]?.[0])).toContain('service: shop');
  });

  it('rejects an unknown source kind, a missing file and a wrong --document', async () => {
    await expect(importCommand(['spinnaker', 'x.yaml'])).rejects.toThrow(/expected "flagger" or "argo"/);
    await expect(importCommand(['argo', join(dir, 'absent.yaml')])).rejects.toBeInstanceOf(
      ConfigurationError,
    );
    const input = join(dir, 'doc.yaml');
    writeFileSync(input, canary);
    await expect(importCommand(['flagger', input, '--document', '0'])).rejects.toThrow(/--document must be/);
    await expect(importCommand(['flagger', input, '--document', '2'])).rejects.toThrow(/the file holds 1/);
  });

  it('points at the line of broken YAML', async () => {
    const input = join(dir, 'broken.yaml');
    writeFileSync(input, 'kind: Canary\nspec: [\n');
    const error = await importCommand(['flagger', input]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).problems[0]?.file).toBe(input);
  });
});
