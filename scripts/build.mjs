// Bundles every action entry point (src/actions/<name>/index.ts and, where it
// exists, post.ts) and the CLI with ncc into dist/. `--out DIR` writes the
// bundles elsewhere, which the dist-staleness test uses to compare.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outFlag = process.argv.indexOf('--out');
const outRoot = outFlag > 0 ? resolve(process.argv[outFlag + 1]) : join(root, 'dist');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

export function listEntries() {
  const entries = [{ name: 'cli', file: 'src/cli.ts', output: 'index.js' }];
  const actionsDir = join(root, 'src/actions');
  for (const name of readdirSync(actionsDir).sort()) {
    for (const [file, output] of [
      ['index.ts', 'index.js'],
      ['post.ts', 'post.js'],
    ]) {
      if (existsSync(join(actionsDir, name, file))) {
        entries.push({ name, file: `src/actions/${name}/${file}`, output });
      }
    }
  }
  return entries.filter((e) => existsSync(join(root, e.file)) && (!only || e.name === only));
}

function bundle(entry) {
  const staging = mkdtempSync(join(tmpdir(), 'glidepath-ncc-'));
  try {
    execFileSync(
      join(root, 'node_modules/.bin/ncc'),
      ['build', join(root, entry.file), '-o', staging, '--license', 'licenses.txt', '--quiet'],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const target = join(outRoot, entry.name);
    mkdirSync(target, { recursive: true });
    const stem = entry.output.replace(/\.js$/, '');
    for (const file of readdirSync(staging)) {
      // main and post share one folder, so each keeps its own licence file;
      // chunks would be shared by name and are refused (no dynamic imports).
      const renamed = {
        'index.js': entry.output,
        'licenses.txt': `${stem}.licenses.txt`,
        'package.json': 'package.json',
      };
      if (!(file in renamed)) throw new Error(`ncc emitted ${file} for ${entry.file}: avoid dynamic imports`);
      renameSync(join(staging, file), join(target, renamed[file]));
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

const entries = listEntries();
if (!only) rmSync(outRoot, { recursive: true, force: true });
for (const entry of entries) {
  process.stdout.write(`ncc ${entry.file} -> ${entry.name}/${entry.output}\n`);
  bundle(entry);
}
