// Regenerates the inputs/outputs tables in README.md from the action.yml and
// reusable workflow files (between `<!-- table: FILE -->` and `<!-- /table -->`).
// `--check` exits 1 when README.md is out of date instead of writing it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReadmeTables } from '../src/docs/readme-tables.js';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const updated = renderReadmeTables(readme, (file) => readFileSync(join(root, file), 'utf8'));
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    console.error('README.md tables are out of date: run `npm run docs`');
    process.exit(1);
  }
} else {
  writeFileSync(join(root, 'README.md'), updated);
}
