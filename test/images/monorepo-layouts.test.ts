import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/config/errors.js';
import { detectChanges, loadServices } from '../../src/images/detect.js';
import { Git } from '../../src/images/git.js';
import { matchChangedServices } from '../../src/images/match.js';
import { MANIFEST_FILE } from '../../src/images/services.js';
import { TempRepo } from '../support/git-repo.js';

const repos: TempRepo[] = [];
function repo(files: Record<string, string>): TempRepo {
  const r = new TempRepo();
  repos.push(r);
  r.write(files);
  return r;
}
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e: unknown) {
    if (e instanceof ConfigurationError)
      return e.problems.map((p) => `${p.line ?? ''} ${p.field ?? ''}: ${p.message}`.trim());
    throw e;
  }
  throw new Error('expected a ConfigurationError');
}

const FROM = 'FROM scratch\n';

describe('services by convention, in the layouts monorepos use', () => {
  it.each([
    ['services/<name>/', { 'services/api/Dockerfile': FROM, 'services/web/Dockerfile': FROM }],
    [
      'src/<name>/',
      { 'src/api/Dockerfile': FROM, 'src/web/Dockerfile': FROM, 'src/lib/util.go': 'package lib\n' },
    ],
    ['apps/<name>/', { 'apps/api/Dockerfile': FROM, 'apps/web/Dockerfile': FROM }],
    ['<name>/ at the top', { 'api/Dockerfile': FROM, 'web/Dockerfile': FROM, 'docs/README.md': '#\n' }],
    ['mixed and deeper', { 'backend/services/api/Dockerfile': FROM, 'frontend/web/Dockerfile': FROM }],
  ])('finds %s', (_layout, files) => {
    const r = repo(files);
    const { services, source } = loadServices(r.dir, MANIFEST_FILE, false);
    expect(source).toBe('convention');
    expect(services.map((s) => s.name)).toEqual(['api', 'web']);
    for (const s of services) expect(s.dockerfile).toBe(`${s.path}/Dockerfile`);
  });

  it('skips hidden folders, node_modules and vendor, and keeps a nested Dockerfile inside its service', () => {
    const r = repo({
      'src/api/Dockerfile': FROM,
      'src/api/test/Dockerfile': FROM,
      '.devcontainer/Dockerfile': FROM,
      'node_modules/pkg/Dockerfile': FROM,
      'vendor/tool/Dockerfile': FROM,
      Dockerfile: FROM,
    });
    expect(loadServices(r.dir, MANIFEST_FILE, false).services.map((s) => s.path)).toEqual(['src/api']);
  });

  it('refuses two folders that would build one image name', () => {
    const r = repo({ 'services/api/Dockerfile': FROM, 'apps/api/Dockerfile': FROM });
    expect(problemsOf(() => loadServices(r.dir, MANIFEST_FILE, false))).toEqual([
      expect.stringMatching(
        /^: apps\/api\/ and services\/api\/ would both build the image "api": name them apart/,
      ),
    ]);
  });

  it('fails loudly when it finds no service at all, instead of going green having built nothing', async () => {
    const r = repo({ 'README.md': '# nothing to build\n', 'lib/util.go': 'package lib\n' });
    const head = r.commit('seed');
    const run = detectChanges({
      git: new Git(r.dir),
      manifest: MANIFEST_FILE,
      manifestRequired: false,
      range: { kind: 'all', head, reason: 'test' },
    });
    await expect(run).rejects.toThrow(
      /working-directory: found no service in .*: no glidepath\.services\.yml and no folder with a Dockerfile \(services\/<name>\/, src\/<name>\/, apps\/<name>\/ or any folder/,
    );
  });

  it('sees changes and deletions in a src/<service> layout', async () => {
    const r = repo({ 'src/api/Dockerfile': FROM, 'src/web/Dockerfile': FROM, 'src/old/Dockerfile': FROM });
    const base = r.commit('seed');
    r.remove('src/old');
    const head = r.write({ 'src/web/index.html': 'hi\n' }).commit('web');
    const report = await detectChanges({
      git: new Git(r.dir),
      manifest: MANIFEST_FILE,
      manifestRequired: false,
      range: { kind: 'diff', base, head, reason: 'test' },
    });
    expect(report.changed.map((s) => s.name)).toEqual(['web']);
    expect(report.deleted).toEqual(['old']);
  });
});

describe('the services manifest', () => {
  it('understands dependsOn naming another service: a change to it rebuilds the dependant', () => {
    const r = repo({
      [MANIFEST_FILE]:
        'services:\n  - name: base\n    path: images/base\n  - name: api\n    path: src/api\n    dependsOn: [base, libs/shared]\n',
      'images/base/Dockerfile': FROM,
      'src/api/Dockerfile': FROM,
      'libs/shared/log.go': 'package shared\n',
    });
    const { services } = loadServices(r.dir, MANIFEST_FILE, true);
    expect(services.find((s) => s.name === 'api')?.dependsOn).toEqual(['images/base', 'libs/shared']);
    expect(matchChangedServices(services, ['images/base/Dockerfile']).map((s) => s.name)).toEqual([
      'base',
      'api',
    ]);
  });

  it('lists every missing path, Dockerfile and dependsOn entry at once, each at its line', () => {
    const r = repo({
      [MANIFEST_FILE]: [
        'services:',
        '  - name: api',
        '    path: src/api',
        '    dependsOn: [libs/gone, api]',
        '  - name: web',
        '    path: src/web',
        '  - name: worker',
        '    path: src/wrker',
        '',
      ].join('\n'),
      'src/api/Dockerfile': FROM,
      'src/web/index.html': 'no Dockerfile here\n',
    });
    expect(problemsOf(() => loadServices(r.dir, MANIFEST_FILE, true))).toEqual([
      '4 services[0].dependsOn[1]: "api" is this service itself: list the other services or paths it is built from',
    ]);
    r.write({ [MANIFEST_FILE]: readManifest(r).replace('libs/gone, api', 'libs/gone') });
    expect(problemsOf(() => loadServices(r.dir, MANIFEST_FILE, true))).toEqual([
      '4 services[0].dependsOn[0]: path "libs/gone" does not exist; fix the path, name another service, or remove the entry',
      '5 services[1].dockerfile: Dockerfile "src/web/Dockerfile" does not exist; fix the path',
      '8 services[2].path: folder "src/wrker" does not exist; fix the path or remove the service "worker"',
    ]);
  });
});

function readManifest(r: TempRepo): string {
  return readFileSync(`${r.dir}/${MANIFEST_FILE}`, 'utf8');
}
