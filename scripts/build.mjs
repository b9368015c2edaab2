// Bundles every action entry point (src/actions/<name>/index.ts, which serves
// the action's main and post) and the CLI into dist/<name>/: index.js,
// licenses.txt and a package.json marking the bundle as ESM. Code reached
// only through a dynamic import() (the cloud SDKs behind metrics auth) goes
// into dist/<name>/chunks/, loaded when first used rather than at start.
//
// esbuild rather than ncc: ncc (webpack without tree shaking across
// @kubernetes/client-node's `export *` barrels) shipped every API group of
// the Kubernetes client (22 MB per canary bundle); esbuild drops the unused
// ones and minifies, and licences are kept in licenses.txt (minified code
// loses its licence comments, so the file is the record).
//
// `--out DIR` writes the bundles elsewhere (the dist-staleness test),
// `--only NAME` builds one, `--stats` prints each bundle's largest packages.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argument = (flag) =>
  process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined;
const outRoot = resolve(argument('--out') ?? join(root, 'dist'));
const only = argument('--only');
const stats = process.argv.includes('--stats');

export function listEntries() {
  const entries = [{ name: 'cli', file: 'src/cli.ts' }];
  const actionsDir = join(root, 'src/actions');
  for (const name of readdirSync(actionsDir).sort()) {
    if (existsSync(join(actionsDir, name, 'index.ts')))
      entries.push({ name, file: `src/actions/${name}/index.ts` });
  }
  return entries.filter((e) => !only || e.name === only);
}

// CommonJS dependencies call require() and read __dirname; an ESM bundle has
// neither, so they are defined from import.meta.url (esbuild's documented
// workaround for "Dynamic require of 'fs' is not supported").
const banner = [
  "import { createRequire as __glidepathRequire } from 'node:module';",
  "import { fileURLToPath as __glidepathPath } from 'node:url';",
  'const require = __glidepathRequire(import.meta.url);',
  'const __filename = __glidepathPath(import.meta.url);',
  "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
].join(' ');

async function bundle(entry) {
  const target = join(outRoot, entry.name);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, entry.file)],
    outdir: target,
    entryNames: 'index',
    chunkNames: 'chunks/[name]-[hash]',
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    banner: { js: banner },
    // uri-js (under ajv) requires the npm `punycode`, not Node's deprecated built-in of that name.
    alias: { punycode: 'punycode/' },
    // hcl2json's Go bridge polyfills `performance`, which Node has had as a global since 16.
    external: ['performance'],
    plugins: [inlineHclWasm, oneUndici],
  });
  writeFileSync(join(target, 'package.json'), '{"type":"module"}\n');
  // The entry and its chunks together: every package any of them holds.
  const inputs = {};
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs))
      inputs[file] = { bytesInOutput: (inputs[file]?.bytesInOutput ?? 0) + bytesInOutput };
  }
  writeFileSync(join(target, 'licenses.txt'), licences(Object.keys(inputs)));
  if (stats) printStats(inputs);
}

/**
 * @cdktf/hcl2json reads its parser (main.wasm.gz) from beside its own
 * sources at import time (`join(__dirname, "..", "main.wasm.gz")`), which a
 * bundle does not have: the file's bytes go into the bundle instead.
 */
const inlineHclWasm = {
  name: 'inline-hcl2json-wasm',
  setup(builder) {
    builder.onLoad({ filter: /@cdktf[\\/]hcl2json[\\/]lib[\\/]bridge\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8');
      const read = 'fs.readFile((0, path_1.join)(__dirname, "..", "main.wasm.gz"))';
      if (!source.includes(read))
        throw new Error(`${path} no longer reads main.wasm.gz as expected: update the build`);
      const wasm = readFileSync(join(dirname(path), '..', 'main.wasm.gz')).toString('base64');
      return {
        contents: source.replace(read, `Promise.resolve(Buffer.from("${wasm}", "base64"))`),
        loader: 'js',
      };
    });
  },
};

/**
 * @actions/http-client and @actions/github each pin their own undici 6 for
 * `ProxyAgent` and `fetch`, which undici 8 (ours) keeps with the same
 * options: one copy in the bundle instead of three (about 0.85 MB less each).
 */
const oneUndici = {
  name: 'one-undici',
  setup(builder) {
    builder.onResolve({ filter: /^undici$/ }, async ({ importer, kind }) => {
      if (!/[\\/]node_modules[\\/]@actions[\\/]/.test(importer)) return undefined;
      const resolved = await builder.resolve('undici', { kind, resolveDir: root });
      return resolved.errors.length > 0 ? undefined : { path: resolved.path };
    });
  },
};

/** The package directory of a bundled file (the innermost node_modules/<pkg>), else undefined for our sources. */
function packageDir(file) {
  const parts = file.split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return undefined;
  const length = parts[at + 1]?.startsWith('@') ? 2 : 1;
  return join(root, ...parts.slice(0, at + 1 + length));
}

/** ncc's licence file format: name, licence, then the licence text of every bundled package. */
function licences(files) {
  const dirs = [...new Set(files.map(packageDir).filter(Boolean))].sort();
  const blocks = [];
  for (const dir of dirs) {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
    const text = file ? readFileSync(join(dir, file), 'utf8').trim() : '';
    const license =
      typeof manifest.license === 'string' ? manifest.license : (manifest.license?.type ?? 'UNKNOWN');
    blocks.push(`${manifest.name}\n${license}${text ? `\n${text}` : ''}`);
  }
  return `${[...new Set(blocks)].join('\n\n')}\n`;
}

function printStats(inputs) {
  const byPackage = new Map();
  for (const [file, { bytesInOutput }] of Object.entries(inputs)) {
    const dir = packageDir(file);
    const name = dir ? relative(join(root, 'node_modules'), dir).split(sep).join('/') : '(glidepath sources)';
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 12);
  for (const [name, bytes] of top)
    process.stdout.write(`  ${(bytes / 1e6).toFixed(2).padStart(6)} MB  ${name}\n`);
}

const entries = listEntries();
if (!only) rmSync(outRoot, { recursive: true, force: true });
for (const entry of entries) {
  process.stdout.write(`esbuild ${entry.file} -> ${entry.name}/index.js\n`);
  await bundle(entry);
}
