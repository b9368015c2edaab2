import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateAction } from '@action-validator/core';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseFileCommand } from '../../support/action-runner.js';
import { repoRoot } from '../../support/shared-fixtures.js';

const actionFile = join(repoRoot, 'actions/build/action.yml');
const text = readFileSync(actionFile, 'utf8');

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
const action = parse(text) as {
  inputs: Record<string, unknown>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
};

describe('actions/build/action.yml', () => {
  it('is a valid composite action', () => {
    expect(validateAction(text).errors).toEqual([]);
    expect(action.runs.using).toBe('composite');
  });

  it('pins every third-party action to a full commit SHA with its version beside it', () => {
    const lines = text.split('\n').filter((l) => /^\s*(-\s+)?uses:/.test(l));
    expect(lines.length).toBe(4);
    for (const line of lines) expect(line).toMatch(/uses: [\w-]+\/[\w-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    const used = action.runs.steps.flatMap((s) => (s.uses ? [s.uses.split('@')[0]] : []));
    expect(used.sort()).toEqual([
      'docker/build-push-action',
      'docker/login-action',
      'docker/metadata-action',
      'docker/setup-buildx-action',
    ]);
  });

  it('never splices an expression into a run script', () => {
    for (const step of action.runs.steps) if (step.run) expect(step.run).not.toContain('${{');
  });

  it('turns on provenance and SBOM for the docker builder', () => {
    const docker = action.runs.steps.find((s) => s.id === 'docker');
    expect(docker?.with).toMatchObject({ provenance: 'mode=max', sbom: true });
  });

  it('runs scripts that exist and wires every output to a step that sets it', () => {
    for (const step of action.runs.steps) {
      const script = /\$GITHUB_ACTION_PATH\/([\w.-]+)/.exec(step.run ?? '')?.[1];
      if (script)
        expect(readFileSync(join(repoRoot, 'actions/build', script), 'utf8')).toMatch(/^#!\/bin\/sh/);
    }
    const ids = new Set(action.runs.steps.map((s) => s.id));
    for (const [name, output] of Object.entries(action.outputs)) {
      const step = /steps\.(\w+)\.outputs\.([\w-]+)/.exec(output.value);
      expect(ids.has(step?.[1]), name).toBe(true);
      expect(step?.[2]).toBe(name);
    }
  });

  it('passes only declared inputs to the scripts', () => {
    const declared = new Set(Object.keys(action.inputs));
    for (const match of text.matchAll(/inputs\.([\w-]+)/g))
      expect(declared.has(match[1] as string), match[1]).toBe(true);
  });
});

describe('image-refs.sh', () => {
  const work = mkdtempSync(join(tmpdir(), 'glidepath-refs-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  async function refs(env: Record<string, string>) {
    const output = join(work, `out-${Math.random()}`);
    writeFileSync(output, '');
    const code = await new Promise<number>((resolve) => {
      execFile(
        'sh',
        [join(repoRoot, 'actions/build/image-refs.sh')],
        { env: { PATH: process.env.PATH ?? '', GITHUB_OUTPUT: output, ...env } },
        (e) => resolve(e ? 1 : 0),
      );
    });
    return { code, outputs: parseFileCommand(readFileSync(output, 'utf8')) };
  }

  it('prefixes bare tags with the image and keeps full references', async () => {
    const { outputs } = await refs({
      IMAGE: 'ghcr.io/acme/pay',
      TAGS: '1.2.3\n\nother.io/x:y\n',
      LABELS: 'a=b',
    });
    expect(outputs.tags).toBe('ghcr.io/acme/pay:1.2.3\nother.io/x:y');
    expect(outputs.labels).toBe('a=b');
    expect(outputs.registry).toBe('ghcr.io');
  });

  it("falls back to docker/metadata-action's tags and labels", async () => {
    const { outputs } = await refs({
      IMAGE: 'acme/pay',
      META_TAGS: 'acme/pay:main\nacme/pay:sha-1',
      META_LABELS: 'x=y',
    });
    expect(outputs.tags).toBe('acme/pay:main\nacme/pay:sha-1');
    expect(outputs.labels).toBe('x=y');
    expect(outputs.registry).toBe('docker.io');
  });

  it('takes localhost and host:port as registries, and refuses having no tags', async () => {
    expect((await refs({ IMAGE: 'localhost/pay', TAGS: 'a' })).outputs.registry).toBe('localhost');
    expect((await refs({ IMAGE: '127.0.0.1:5000/pay', TAGS: 'a' })).outputs.registry).toBe('127.0.0.1:5000');
    expect((await refs({ IMAGE: 'pay' })).code).toBe(1);
  });
});
