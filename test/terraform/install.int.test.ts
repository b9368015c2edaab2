import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../../src/config/errors.js';
import { installTool } from '../../src/terraform/install.js';
import { generateSigningKey, ReleasesMirror } from '../support/releases-mirror.js';

const base = { os: 'linux', arch: 'amd64' };

describe('install from a local releases mirror', () => {
  let terraform: ReleasesMirror;
  let tofu: ReleasesMirror;
  let keys: { privateKey: string; publicKey: string };
  let module: string;
  const savedPath = process.env.PATH;

  beforeAll(async () => {
    keys = await generateSigningKey();
    terraform = await ReleasesMirror.start({
      tool: 'terraform',
      versions: ['1.8.0', '1.8.5', '1.9.0', '1.10.0-beta1'],
      signingKey: keys.privateKey,
    });
    tofu = await ReleasesMirror.start({
      tool: 'tofu',
      versions: ['1.7.3', '1.8.1'],
      signingKey: keys.privateKey,
    });
  });
  afterAll(async () => {
    await terraform.stop();
    await tofu.stop();
  });
  beforeEach(() => {
    const work = mkdtempSync(join(tmpdir(), 'glidepath-install-'));
    vi.stubEnv('RUNNER_TOOL_CACHE', join(work, 'cache'));
    vi.stubEnv('RUNNER_TEMP', join(work, 'temp'));
    vi.stubEnv('GITHUB_PATH', '');
    module = join(work, 'module');
    mkdirSync(module);
    terraform.requests.length = 0;
    tofu.requests.length = 0;
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    process.env.PATH = savedPath;
  });

  it('installs a verified, signed release, puts it on PATH, and a second run downloads nothing', async () => {
    const first = await installTool({
      ...base,
      tool: 'terraform',
      version: '1.8.5',
      workingDirectory: module,
      releasesUrl: terraform.url,
      publicKey: keys.publicKey,
    });
    expect(first).toMatchObject({ version: '1.8.5', fromCache: false });
    expect(execFileSync('terraform', ['version'], { encoding: 'utf8' })).toContain('Terraform v1.8.5');
    expect(terraform.requests).toEqual([
      '/index.json',
      '/1.8.5/terraform_1.8.5_SHA256SUMS',
      '/1.8.5/terraform_1.8.5_SHA256SUMS.sig',
      '/1.8.5/terraform_1.8.5_linux_amd64.zip',
    ]);

    terraform.requests.length = 0;
    const second = await installTool({
      ...base,
      tool: 'terraform',
      version: '1.8.5',
      workingDirectory: module,
      releasesUrl: terraform.url,
    });
    expect(second).toMatchObject({ version: '1.8.5', fromCache: true, dir: first.dir });
    expect(terraform.requests).toEqual([]);
    const ranged = await installTool({
      ...base,
      tool: 'terraform',
      version: '~> 1.8.0',
      workingDirectory: module,
      releasesUrl: terraform.url,
    });
    expect(ranged.fromCache).toBe(true);
    expect(terraform.requests).toEqual(['/index.json']);
  });

  it('refuses a tampered archive and caches nothing', async () => {
    terraform.tamper('/1.8.0/terraform_1.8.0_linux_amd64.zip');
    const attempt = installTool({
      ...base,
      tool: 'terraform',
      version: '1.8.0',
      workingDirectory: module,
      releasesUrl: terraform.url,
    });
    await expect(attempt).rejects.toThrow(
      /refusing terraform_1\.8\.0_linux_amd64\.zip: its SHA-256 is [0-9a-f]{64}, but SHA256SUMS says/,
    );
    terraform.requests.length = 0;
    await expect(
      installTool({
        ...base,
        tool: 'terraform',
        version: '1.8.0',
        workingDirectory: module,
        releasesUrl: terraform.url,
      }),
    ).rejects.toThrow(/refusing/);
    expect(terraform.requests).toContain('/1.8.0/terraform_1.8.0_linux_amd64.zip');
  });

  it('refuses SHA256SUMS whose signature is not from the configured key', async () => {
    const other = await generateSigningKey();
    await expect(
      installTool({
        ...base,
        tool: 'terraform',
        version: '1.9.0',
        workingDirectory: module,
        releasesUrl: terraform.url,
        publicKey: other.publicKey,
      }),
    ).rejects.toThrow(/signature .* does not verify with the configured key/);
  });

  it('refuses when a public key is configured but the mirror publishes no signature', async () => {
    const unsigned = await ReleasesMirror.start({ tool: 'terraform', versions: ['1.9.1'] });
    try {
      await expect(
        installTool({
          ...base,
          tool: 'terraform',
          version: '1.9.1',
          workingDirectory: module,
          releasesUrl: unsigned.url,
          publicKey: keys.publicKey,
        }),
      ).rejects.toThrow(
        /refusing terraform 1\.9\.1: a public key is configured \(releases-public-key\) but .* publishes no signature/,
      );
      expect(unsigned.requests.some((r) => r.endsWith('.zip'))).toBe(false);
    } finally {
      await unsigned.stop();
    }
  });

  it('re-hashes a cached binary before it runs: a modified one is refused, one without a record reinstalled', async () => {
    const options = {
      ...base,
      tool: 'terraform' as const,
      version: '1.9.0',
      workingDirectory: module,
      releasesUrl: terraform.url,
      publicKey: keys.publicKey,
    };
    const first = await installTool(options);
    writeFileSync(first.binary, '#!/bin/sh\necho "Terraform v1.9.0 (planted)"\n');
    await expect(installTool(options)).rejects.toThrow(
      /refusing the cached .*terraform: its SHA-256 is [0-9a-f]{64}, but it was [0-9a-f]{64} when installed from the verified terraform_1\.9\.0_linux_amd64\.zip/,
    );

    rmSync(join(first.dir, '.glidepath-install.json'));
    terraform.requests.length = 0;
    const again = await installTool(options);
    expect(again.fromCache).toBe(false);
    expect(terraform.requests).toContain('/1.9.0/terraform_1.9.0_linux_amd64.zip');
    expect(execFileSync(again.binary, ['version'], { encoding: 'utf8' })).not.toContain('planted');
    expect((await installTool(options)).fromCache).toBe(true);
  });

  it('names the URL when the releases site cannot be reached', async () => {
    await expect(
      installTool({
        ...base,
        tool: 'terraform',
        workingDirectory: module,
        releasesUrl: 'http://127.0.0.1:9',
      }),
    ).rejects.toThrow(
      /downloading the releases index from http:\/\/127\.0\.0\.1:9\/index\.json failed: .*check releases-url/,
    );
  });

  it('names a missing version clearly', async () => {
    const attempt = installTool({
      ...base,
      tool: 'terraform',
      version: '9.9.9',
      workingDirectory: module,
      releasesUrl: terraform.url,
    });
    await expect(attempt).rejects.toThrow(ConfigurationError);
    await expect(
      installTool({
        ...base,
        tool: 'terraform',
        version: '9.9.9',
        workingDirectory: module,
        releasesUrl: terraform.url,
      }),
    ).rejects.toThrow(/version: no release matches "9\.9\.9" \(the index lists 4 versions, newest 1\.9\.0\)/);
  });

  it('reads required_version from the root module with a real HCL parser, skipping prereleases', async () => {
    writeFileSync(join(module, 'versions.tf'), 'terraform {\n  required_version = "~> 1.8.0, != 1.8.1"\n}\n');
    const installed = await installTool({
      ...base,
      tool: 'terraform',
      workingDirectory: module,
      releasesUrl: terraform.url,
    });
    expect(installed).toMatchObject({ version: '1.8.5', source: 'required_version in versions.tf' });
    writeFileSync(join(module, 'versions.tf'), 'terraform {\n  required_version = ">= 1.0"\n}\n');
    expect(
      (
        await installTool({
          ...base,
          tool: 'terraform',
          workingDirectory: module,
          releasesUrl: terraform.url,
        })
      ).version,
    ).toBe('1.9.0');
  });

  it('installs OpenTofu from its GitHub-release layout, version from .opentofu-version', async () => {
    writeFileSync(join(module, '.opentofu-version'), '1.7.3\n');
    const installed = await installTool({
      ...base,
      tool: 'tofu',
      workingDirectory: module,
      releasesUrl: tofu.url,
      publicKey: keys.publicKey,
    });
    expect(installed).toMatchObject({ version: '1.7.3', source: '.opentofu-version' });
    expect(execFileSync(installed.binary, ['version'], { encoding: 'utf8' })).toContain('OpenTofu v1.7.3');
    expect(tofu.requests).toContain('/v1.7.3/tofu_1.7.3_SHA256SUMS.gpgsig');
    const latest = await installTool({
      ...base,
      tool: 'tofu',
      workingDirectory: mkdtempSync(join(tmpdir(), 'empty-')),
      releasesUrl: tofu.url,
    });
    expect(latest.version).toBe('1.8.1');
  });
});
