import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/config/errors.js';
import { detectChanges } from '../../src/images/detect.js';
import { Git } from '../../src/images/git.js';
import { MANIFEST_FILE } from '../../src/images/services.js';
import { TempRepo } from '../support/git-repo.js';

const manifest = `services:
  - name: cart
    path: services/cart
    dependsOn: [libs/shared]
  - name: payments
    path: services/payments
    dependsOn: [libs/shared]
  - name: search
    path: services/search
`;

const repos: TempRepo[] = [];
function repo(): TempRepo {
  const r = new TempRepo();
  repos.push(r);
  return r;
}
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

function seed(r: TempRepo): string {
  r.write({
    [MANIFEST_FILE]: manifest,
    'services/cart/Dockerfile': 'FROM scratch\n',
    'services/cart/main.go': 'package main\n',
    'services/payments/Dockerfile': 'FROM scratch\n',
    'services/payments/app.py': 'print(1)\n',
    'services/search/Dockerfile': 'FROM scratch\n',
    'services/search/index.ts': 'export {};\n',
    'libs/shared/log.go': 'package shared\n',
    'docs/README.md': '# docs\n',
  });
  return r.commit('seed');
}

async function changedNames(r: TempRepo, base: string, head: string, manifestPath = MANIFEST_FILE) {
  const report = await detectChanges({
    git: new Git(r.dir),
    manifest: manifestPath,
    manifestRequired: false,
    range: { kind: 'diff', base, head, reason: 'test' },
  });
  return { names: report.changed.map((s) => s.name), report };
}

describe('changed services on a real git repository', () => {
  it('a file in one service rebuilds only that service', async () => {
    const r = repo();
    const base = seed(r);
    const head = r.write({ 'services/search/index.ts': 'export const x = 1;\n' }).commit('search');
    const { names, report } = await changedNames(r, base, head);
    expect(names).toEqual(['search']);
    expect(report.changed[0]).toMatchObject({
      path: 'services/search',
      dockerfile: 'services/search/Dockerfile',
      context: 'services/search',
    });
  });

  it('a shared library rebuilds every service that depends on it', async () => {
    const r = repo();
    const base = seed(r);
    const head = r.write({ 'libs/shared/log.go': 'package shared // v2\n' }).commit('lib');
    expect((await changedNames(r, base, head)).names).toEqual(['cart', 'payments']);
  });

  it('a file outside every service rebuilds nothing', async () => {
    const r = repo();
    const base = seed(r);
    const head = r.write({ 'docs/README.md': '# more docs\n' }).commit('docs');
    const { names, report } = await changedNames(r, base, head);
    expect(names).toEqual([]);
    expect(report.changedFiles).toBe(1);
  });

  it('a deleted service is not built and is reported as deleted', async () => {
    const r = repo();
    const base = seed(r);
    r.remove('services/payments');
    r.write({ [MANIFEST_FILE]: manifest.replace(/ {2}- name: payments\n(?: {4}.*\n)+/, '') });
    const head = r.commit('drop payments');
    const { names, report } = await changedNames(r, base, head);
    expect(names).toEqual([]);
    expect(report.deleted).toEqual(['payments']);
    expect(report.all.map((s) => s.name)).toEqual(['cart', 'search']);
  });

  it('finds services by convention when there is no manifest', async () => {
    const r = repo();
    r.write({
      'services/Web-UI/Dockerfile': 'FROM scratch\n',
      'services/api/Dockerfile': 'FROM scratch\n',
      'services/notes/README.md': 'no Dockerfile, not a service\n',
    });
    const base = r.commit('seed');
    r.remove('services/api');
    const head = r.write({ 'services/Web-UI/index.html': '<p>hi</p>\n' }).commit('web');
    const { names, report } = await changedNames(r, base, head);
    expect(report.source).toBe('convention');
    expect(names).toEqual(['web-ui']);
    expect(report.deleted).toEqual(['api']);
  });

  it('deepens a shallow clone until the base commit is there', async () => {
    const origin = repo();
    const base = seed(origin);
    for (let i = 0; i < 4; i++) origin.write({ 'docs/README.md': `# docs ${i}\n` }).commit(`docs ${i}`);
    const head = origin.write({ 'services/cart/main.go': 'package main // 2\n' }).commit('cart');
    const clone = new TempRepo(origin.shallowClone(1).dir);
    repos.push(clone);
    const messages: string[] = [];
    const report = await detectChanges({
      git: new Git(clone.dir),
      manifest: MANIFEST_FILE,
      manifestRequired: false,
      range: { kind: 'diff', base, head, reason: 'test' },
      deepenSteps: [2, 2, 2],
      log: (m) => messages.push(m),
    });
    expect(report.changed.map((s) => s.name)).toEqual(['cart']);
    expect(messages.filter((m) => m.includes('deepening by 2')).length).toBe(3);
  });

  it('fetches a base that deepening cannot reach (another branch) by its SHA', async () => {
    const origin = repo();
    seed(origin);
    origin.git('checkout', '--quiet', '-b', 'release');
    const base = origin.write({ 'services/search/index.ts': 'export const r = 1;\n' }).commit('release only');
    origin.git('checkout', '--quiet', 'main');
    const head = origin.write({ 'services/cart/main.go': 'package main // 2\n' }).commit('cart');
    const clone = new TempRepo(origin.shallowClone(1).dir);
    repos.push(clone);
    const report = await detectChanges({
      git: new Git(clone.dir),
      manifest: MANIFEST_FILE,
      manifestRequired: false,
      range: { kind: 'diff', base, head, reason: 'test' },
      deepenSteps: [1],
    });
    // Tree diff of the two commits: cart changed on main, search differs from the release branch.
    expect(report.changed.map((s) => s.name)).toEqual(['cart', 'search']);
  });

  it('fails saying what is missing when the base cannot be fetched into a shallow clone', async () => {
    const origin = repo();
    seed(origin);
    const head = origin.write({ 'services/cart/main.go': 'package main // 2\n' }).commit('cart');
    const clone = new TempRepo(origin.shallowClone(1).dir);
    repos.push(clone);
    const missing = 'f'.repeat(40);
    const run = detectChanges({
      git: new Git(clone.dir),
      manifest: MANIFEST_FILE,
      manifestRequired: false,
      range: { kind: 'diff', base: missing, head, reason: 'test' },
      deepenSteps: [1],
    });
    await expect(run).rejects.toThrow(ConfigurationError);
    await expect(run).rejects.toThrow(/base commit f{40} is missing: this shallow clone .*fetch-depth: 0/);
  });

  it('works from a subfolder of the repository (working-directory)', async () => {
    const r = repo();
    r.write({ 'README.md': 'root\n', 'platform/services/api/Dockerfile': 'FROM scratch\n' });
    const base = r.commit('seed');
    const head = r
      .write({ 'platform/services/api/main.go': 'package main\n', 'README.md': 'x\n' })
      .commit('api');
    const report = await detectChanges({
      git: new Git(`${r.dir}/platform`),
      manifest: MANIFEST_FILE,
      manifestRequired: false,
      range: { kind: 'diff', base, head, reason: 'test' },
    });
    expect(report.changed).toEqual([
      {
        name: 'api',
        path: 'services/api',
        dockerfile: 'services/api/Dockerfile',
        context: 'services/api',
        dependsOn: [],
      },
    ]);
    expect(report.changedFiles).toBe(1);
  });

  it('builds every service when the range says so', async () => {
    const r = repo();
    seed(r);
    const report = await detectChanges({
      git: new Git(r.dir),
      manifest: MANIFEST_FILE,
      manifestRequired: false,
      range: { kind: 'all', head: 'HEAD', reason: 'workflow_dispatch event builds every service' },
    });
    expect(report.changed.map((s) => s.name)).toEqual(['cart', 'payments', 'search']);
  });

  it('refuses a manifest service whose folder does not exist, naming the field', async () => {
    const r = repo();
    seed(r);
    r.write({ [MANIFEST_FILE]: `${manifest}  - name: ghost\n    path: services/ghost\n` });
    const head = r.commit('ghost');
    await expect(changedNames(r, head, head)).rejects.toThrow(
      `${MANIFEST_FILE}:11:11: services[3].path: folder "services/ghost" does not exist`,
    );
  });
});
