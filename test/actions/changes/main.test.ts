import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateAction } from '@action-validator/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { run } from '../../../src/actions/changes/main.js';
import { parseFileCommand } from '../../support/action-runner.js';
import { TempRepo } from '../../support/git-repo.js';
import { repoRoot } from '../../support/shared-fixtures.js';

const actionText = readFileSync(join(repoRoot, 'actions/changes/action.yml'), 'utf8');
const action = parse(actionText) as {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, unknown>;
  runs: Record<string, string>;
};

describe('actions/changes/action.yml', () => {
  it('is a valid node24 action pointing at its bundle', () => {
    // @action-validator/core's schema predates node24 (it only knows node12..node20), so the
    // runtime is checked by hand and the rest against the schema.
    expect(validateAction(actionText.replace('using: node24', 'using: node20')).errors).toEqual([]);
    expect(action.runs).toEqual({ using: 'node24', main: '../../dist/changes/index.js' });
  });

  it('declares exactly the inputs inputs.ts reads', () => {
    const source = readFileSync(join(repoRoot, 'src/actions/changes/inputs.ts'), 'utf8');
    const read = [...source.matchAll(/core\.get(?:Boolean)?Input\('([^']+)'\)/g)].map((m) => m[1]);
    expect(read.sort()).toEqual(Object.keys(action.inputs).sort());
  });
});

describe('changes action run()', () => {
  let repo: TempRepo;
  let work: string;
  let outputFile: string;

  beforeEach(() => {
    repo = new TempRepo();
    work = mkdtempSync(join(tmpdir(), 'glidepath-changes-'));
    outputFile = join(work, 'output');
    writeFileSync(outputFile, '');
    vi.stubEnv('GITHUB_OUTPUT', outputFile);
    vi.stubEnv('GITHUB_WORKSPACE', repo.dir);
    for (const [name, spec] of Object.entries(action.inputs)) {
      vi.stubEnv(`INPUT_${name.toUpperCase()}`, spec.default ?? '');
    }
    process.exitCode = undefined;
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    process.exitCode = undefined;
    repo.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  function event(name: string, payload: unknown, sha: string, ref: string) {
    const path = join(work, 'event.json');
    writeFileSync(path, JSON.stringify(payload));
    vi.stubEnv('GITHUB_EVENT_NAME', name);
    vi.stubEnv('GITHUB_EVENT_PATH', path);
    vi.stubEnv('GITHUB_SHA', sha);
    vi.stubEnv('GITHUB_REF', ref);
    vi.stubEnv('GITHUB_REPOSITORY', 'acme/shop');
    vi.stubEnv('GITHUB_SERVER_URL', 'https://github.com');
  }

  const outputs = () => parseFileCommand(readFileSync(outputFile, 'utf8'));

  it('outputs the changed services of a pull request as JSON and as a matrix', async () => {
    repo.write({ 'services/api/Dockerfile': 'FROM scratch\n', 'services/web/Dockerfile': 'FROM scratch\n' });
    const base = repo.commit('seed');
    const head = repo.write({ 'services/web/index.html': 'hi\n' }).commit('web');
    event('pull_request', { pull_request: { base: { sha: base } } }, head, 'refs/pull/7/merge');
    vi.stubEnv('INPUT_REGISTRY', 'ghcr.io/acme/');

    await run({ now: () => new Date('2026-01-01T00:00:00Z') });

    expect(process.exitCode).toBeUndefined();
    const out = outputs();
    const services = JSON.parse(out.services ?? '');
    expect(services).toEqual([
      {
        name: 'web',
        path: 'services/web',
        dockerfile: 'services/web/Dockerfile',
        context: 'services/web',
        image: 'ghcr.io/acme/web',
        tags: `pr-7\nsha-${head.slice(0, 7)}`,
        labels: [
          'org.opencontainers.image.source=https://github.com/acme/shop',
          `org.opencontainers.image.revision=${head}`,
          'org.opencontainers.image.created=2026-01-01T00:00:00.000Z',
          'org.opencontainers.image.version=pr-7',
          'org.opencontainers.image.title=web',
        ].join('\n'),
      },
    ]);
    expect(JSON.parse(out.matrix ?? '')).toEqual({ include: services });
    expect(out['any-changed']).toBe('true');
    expect(out.base).toBe(base);
    expect(out.head).toBe(head);
  });

  it('builds every service on workflow_dispatch', async () => {
    repo.write({ 'services/api/Dockerfile': 'FROM scratch\n', 'services/web/Dockerfile': 'FROM scratch\n' });
    const head = repo.commit('seed');
    event('workflow_dispatch', {}, head, 'refs/heads/main');
    await run();
    const names = JSON.parse(outputs().services ?? '').map((s: { name: string }) => s.name);
    expect(names).toEqual(['api', 'web']);
  });

  it('says nothing changed, with an empty matrix, for a docs-only push', async () => {
    repo.write({ 'services/api/Dockerfile': 'FROM scratch\n', 'README.md': 'a\n' });
    const before = repo.commit('seed');
    const after = repo.write({ 'README.md': 'b\n' }).commit('docs');
    event('push', { ref: 'refs/heads/main', before, after }, after, 'refs/heads/main');
    await run();
    expect(outputs()).toMatchObject({ services: '[]', matrix: '{"include":[]}', 'any-changed': 'false' });
  });

  it('gives paths relative to the workspace when working-directory is a subfolder', async () => {
    repo.write({ 'platform/services/api/Dockerfile': 'FROM scratch\n' });
    const head = repo.commit('seed');
    event('schedule', {}, head, 'refs/heads/main');
    vi.stubEnv('INPUT_WORKING-DIRECTORY', 'platform');
    await run();
    expect(JSON.parse(outputs().services ?? '')).toMatchObject([
      {
        name: 'api',
        path: 'platform/services/api',
        dockerfile: 'platform/services/api/Dockerfile',
        context: 'platform/services/api',
      },
    ]);
  });

  it('fails the step naming the file and field of a manifest mistake', async () => {
    repo.write({ 'glidepath.services.yml': 'services:\n  - name: api\n    paht: services/api\n' });
    const head = repo.commit('seed');
    event('workflow_dispatch', {}, head, 'refs/heads/main');
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await run();
    const written = stdout.mock.calls.map((c) => String(c[0])).join('');
    stdout.mockRestore();
    expect(process.exitCode).toBe(1);
    expect(written).toMatch(
      /::error title=glidepath configuration,file=glidepath\.services\.yml,line=2,col=\d+::services\[0\]/,
    );
  });

  it('refuses an explicitly named manifest that does not exist', async () => {
    repo.write({ 'services/api/Dockerfile': 'FROM scratch\n' });
    const head = repo.commit('seed');
    event('workflow_dispatch', {}, head, 'refs/heads/main');
    vi.stubEnv('INPUT_MANIFEST', 'deploy/services.yml');
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await run();
    const written = stdout.mock.calls.map((c) => String(c[0])).join('');
    stdout.mockRestore();
    expect(process.exitCode).toBe(1);
    expect(written).toMatch(/manifest: services manifest "deploy\/services\.yml" was not found/);
  });
});
