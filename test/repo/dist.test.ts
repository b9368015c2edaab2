import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../support/shared-fixtures.js';

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory() ? listFiles(dir, join(prefix, entry.name)) : [join(prefix, entry.name)],
    )
    .sort();
}

// The committed bundles are what users run: they must be exactly what the sources build to.
describe('dist/', () => {
  const fresh = mkdtempSync(join(tmpdir(), 'glidepath-dist-'));
  afterAll(() => rmSync(fresh, { recursive: true, force: true }));

  it('matches a fresh build of the sources (run `npm run build` and commit dist/ when this fails)', () => {
    execFileSync(process.execPath, [join(repoRoot, 'scripts/build.mjs'), '--out', fresh], {
      cwd: repoRoot,
      stdio: 'pipe',
    });
    const committed = listFiles(join(repoRoot, 'dist'));
    expect(committed).toEqual(listFiles(fresh));
    const stale = committed.filter(
      (file) =>
        readFileSync(join(repoRoot, 'dist', file), 'utf8') !== readFileSync(join(fresh, file), 'utf8'),
    );
    expect(stale, `stale bundles: ${stale.join(', ')}`).toEqual([]);
  }, 600_000);

  it('ships each action once: main and post point at one bundle, and every bundle is an entry point', () => {
    const actionFiles = [
      'action.yml',
      ...readdirSync(join(repoRoot, 'actions')).map((a) => `actions/${a}/action.yml`),
    ];
    const used = new Set<string>();
    for (const file of actionFiles) {
      const runs = (parse(readFileSync(join(repoRoot, file), 'utf8')) as { runs: Record<string, string> })
        .runs;
      if (runs.using !== 'node24') continue;
      const entries = [runs.main, runs.post].filter((e): e is string => !!e);
      const bundles = new Set(entries.map((e) => relative(repoRoot, join(repoRoot, dirname(file), e))));
      expect(bundles.size, `${file}: main and post must share one bundle`).toBe(1);
      for (const bundle of bundles) used.add(bundle);
    }
    expect([...used].sort()).toContain('dist/canary/index.js');
    // No second copy of an action's code (the old post.js) and no bundle no action runs, except the CLI.
    const js = listFiles(join(repoRoot, 'dist')).filter((f) => f.endsWith('.js'));
    const isChunk = (f: string) => f.split('/')[1] === 'chunks';
    const shipped = js.filter((f) => !isChunk(f)).map((f) => `dist/${f}`);
    expect(shipped.filter((f) => !used.has(f) && f !== 'dist/cli/index.js')).toEqual([]);
    // A chunk is code its bundle loads with import(): each one is named by another file of the same bundle.
    const unreferenced = js.filter(isChunk).filter((chunk) => {
      const [bundle, , name = chunk] = chunk.split('/');
      return !js.some(
        (f) =>
          f !== chunk &&
          f.startsWith(`${bundle}/`) &&
          readFileSync(join(repoRoot, 'dist', f), 'utf8').includes(name),
      );
    });
    expect(unreferenced, 'chunks no bundle file imports').toEqual([]);
  });
});
