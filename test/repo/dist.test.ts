import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
});
