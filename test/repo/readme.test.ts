import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReadmeTables } from '../../src/docs/readme-tables.js';
import { repoRoot } from '../support/shared-fixtures.js';

describe('README.md', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

  it('starts with the playground and test commands that .ci/run uses', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toMatch(/^npm run playground/m);
    expect(firstBlock).toMatch(/^npm test/m);
    expect(readFileSync(join(repoRoot, '.ci/run'), 'utf8')).toMatch(/^npm test$/m);
  });

  it('has inputs/outputs tables generated from the action files (run `npm run docs` when this fails)', () => {
    expect(readme).toBe(renderReadmeTables(readme, (file) => readFileSync(join(repoRoot, file), 'utf8')));
    expect(readme).toContain('| `slos` | yes |');
  });
});
