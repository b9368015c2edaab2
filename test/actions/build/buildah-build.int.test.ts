import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFileCommand } from '../../support/action-runner.js';
import { type Registry, startRegistry } from '../../support/registry.js';
import { repoRoot } from '../../support/shared-fixtures.js';

const script = join(repoRoot, 'actions/build/buildah-build.sh');

function runScript(
  shell: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      shell,
      [script],
      { env: { PATH: process.env.PATH ?? '', ...env }, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

// The action runs the script with `sh`: dash on Debian and Ubuntu runners, bash on others.
describe.each(['sh', 'bash'])('buildah builder (%s) against a real registry', (shell) => {
  let registry: Registry;
  let work: string;

  beforeAll(async () => {
    registry = await startRegistry();
    work = mkdtempSync(join(tmpdir(), 'glidepath-buildah-test-'));
  });

  afterAll(async () => {
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('builds FROM scratch, pushes every tag, and outputs the digest the registry serves', async () => {
    const context = join(work, 'ctx');
    mkdirSync(context, { recursive: true });
    writeFileSync(join(context, 'hello.txt'), 'hello from glidepath\n');
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
    const output = join(work, 'output');
    writeFileSync(output, '');
    const image = `${registry.host}/glidepath/demo`;

    const result = await runScript(shell, {
      IMAGE: image,
      TAGS: '1.2.3\nsha-0123456\n',
      CONTEXT: context,
      LABELS: 'org.opencontainers.image.title=demo\norg.opencontainers.image.version=1.2.3',
      TLS_VERIFY: 'false',
      BUILDAH_ROOT: join(work, 'root'),
      BUILDAH_RUNROOT: join(work, 'runroot'),
      RUNNER_TEMP: work,
      GITHUB_OUTPUT: output,
    });
    expect(result.stderr + result.stdout).not.toMatch(/^Error/m);
    expect(result.code).toBe(0);

    const outputs = parseFileCommand(readFileSync(output, 'utf8'));
    expect(outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(outputs.image).toBe(`${image}@${outputs.digest}`);
    expect(outputs.tags?.split('\n')).toEqual([`${image}:1.2.3`, `${image}:sha-0123456`]);

    expect(await registry.manifestDigest('glidepath/demo', '1.2.3')).toBe(outputs.digest);
    expect(await registry.manifestDigest('glidepath/demo', 'sha-0123456')).toBe(outputs.digest);

    // The labels reach the image config a deployment tool reads.
    const manifest = (await (
      await fetch(`${registry.url}/v2/glidepath/demo/manifests/${outputs.digest}`, {
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
      })
    ).json()) as { config: { digest: string } };
    const config = (await (
      await fetch(`${registry.url}/v2/glidepath/demo/blobs/${manifest.config.digest}`)
    ).json()) as {
      config: { Labels?: Record<string, string> };
    };
    expect(config.config.Labels).toMatchObject({ 'org.opencontainers.image.title': 'demo' });
  });

  it('fails before building when no tag is given', async () => {
    const result = await runScript(shell, {
      IMAGE: `${registry.host}/x`,
      TAGS: '',
      BUILDAH_ROOT: join(work, 'root2'),
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/TAGS is required/);
  });
});
