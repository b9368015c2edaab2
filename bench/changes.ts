// Changed-service detection on a generated repository of 1 000 services, against plain
// `git diff --name-only` (the floor: we run that diff and add manifest parsing and matching).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { detectChanges } from '../src/images/detect.js';
import { Git } from '../src/images/git.js';
import { matchChangedServices } from '../src/images/match.js';
import { MANIFEST_FILE, parseManifest } from '../src/images/services.js';

const SERVICES = 1000;
const LIBS = 10;
const RUNS = 7;

export async function benchChanges(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'glidepath-bench-changes-'));
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: dir, encoding: 'utf8', maxBuffer: 256 << 20 }).trim();
    const write = (path: string, content: string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    };
    git('init', '--quiet', '--initial-branch=main');
    git('config', 'user.email', 'bench@example.com');
    git('config', 'user.name', 'bench');
    const lines = ['services:'];
    for (let i = 0; i < SERVICES; i++) {
      const name = `svc-${String(i).padStart(4, '0')}`;
      write(`services/${name}/Dockerfile`, 'FROM scratch\nCOPY . /app\n');
      for (let f = 0; f < 5; f++) write(`services/${name}/src/file${f}.txt`, `${name} ${f}\n`);
      lines.push(`  - name: ${name}`, `    path: services/${name}`, `    dependsOn: [libs/lib-${i % LIBS}]`);
    }
    for (let l = 0; l < LIBS; l++) write(`libs/lib-${l}/index.txt`, `lib ${l}\n`);
    write(MANIFEST_FILE, `${lines.join('\n')}\n`);
    git('add', '-A');
    git('commit', '--quiet', '-m', 'seed');
    const base = git('rev-parse', 'HEAD');
    // A busy merge: 100 services touched directly, one shared library (100 more), 50 docs.
    for (let i = 0; i < SERVICES; i += 10)
      write(`services/svc-${String(i).padStart(4, '0')}/src/file0.txt`, 'changed\n');
    write('libs/lib-3/index.txt', 'changed\n');
    for (let d = 0; d < 50; d++) write(`docs/page${d}.md`, `# ${d}\n`);
    git('add', '-A');
    git('commit', '--quiet', '-m', 'change');
    const head = git('rev-parse', 'HEAD');

    const plain = await timeIt(async () => git('diff', '--name-only', base, head).split('\n').length);
    const ours = await timeIt(
      async () =>
        (
          await detectChanges({
            git: new Git(dir),
            manifest: MANIFEST_FILE,
            manifestRequired: false,
            range: { kind: 'diff', base, head, reason: 'bench' },
          })
        ).changed.length,
    );
    const manifestText = git('show', `${head}:${MANIFEST_FILE}`);
    const parse = await timeIt(async () => parseManifest(manifestText, MANIFEST_FILE).length);
    const services = parseManifest(manifestText, MANIFEST_FILE);
    const files = git('diff', '--name-only', base, head).split('\n');
    const matchOnly = await timeIt(async () => matchChangedServices(services, files).length);
    // What a naive loop (every file against every service's prefixes) would cost, for scale.
    const naive = await timeIt(
      async () =>
        services.filter((s) =>
          files.some((f) => [s.path, ...s.dependsOn].some((p) => f === p || f.startsWith(`${p}/`))),
        ).length,
    );

    console.log(`changes: ${SERVICES} services, ${files.length} changed files, median of ${RUNS} runs`);
    console.log(`  git diff --name-only          ${fmt(plain.ms)}  (${plain.result} files)`);
    console.log(`  detectChanges (end to end)    ${fmt(ours.ms)}  (${ours.result} services)`);
    console.log(`    of which manifest parsing   ${fmt(parse.ms)}  (${parse.result} entries, YAML + zod)`);
    console.log(`    of which matching           ${fmt(matchOnly.ms)}  (prefix index)`);
    console.log(`    naive files x services      ${fmt(naive.ms)}  (${naive.result} services, for scale)`);
    console.log(`  overhead over git diff        ${fmt(ours.ms - plain.ms)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timeIt<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const times: number[] = [];
  let result: T | undefined;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    result = await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] as number, result: result as T };
}

function fmt(ms: number): string {
  return `${ms.toFixed(1).padStart(8)} ms`;
}
