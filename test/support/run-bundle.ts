import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { parseFileCommand } from './action-runner.js';
import { repoRoot } from './shared-fixtures.js';

/**
 * Runs a committed bundle the way the GitHub runner runs a `node24` action:
 * Node 24 (the npm package `node`, whatever Node runs the tests), every input
 * as INPUT_<NAME> at its action.yml default unless the test sets it, the file
 * commands (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_STEP_SUMMARY, GITHUB_ENV,
 * GITHUB_PATH) as files, state saved by main handed to post as STATE_<name>,
 * and the exit code as the step's result.
 * Runner behaviour from actions/runner: inputs are named
 * `INPUT_` + name with spaces as `_`, upper-cased (Handlers/NodeScriptActionHandler.cs);
 * defaults are evaluated as expressions (ActionManifestManager.cs).
 */

/** Node 24 from the npm package `node`: the actions' runtime (`runs.using: node24`). */
export const node24 = join(repoRoot, 'node_modules/.bin/node');

export interface BundleEntry {
  /** `canary` for the root action.yml, else the folder name under actions/, or `cli`. */
  action: string;
  stage: 'main' | 'post' | 'cli';
  /** Repository-relative path of the bundle, e.g. `dist/terraform/index.js`. */
  bundle: string;
  /** Repository-relative action.yml that declares it (none for the CLI). */
  actionFile?: string;
}

interface ActionYml {
  inputs?: Record<string, { default?: unknown; required?: boolean }>;
  runs?: { using?: string; main?: string; post?: string };
}

function readAction(file: string): ActionYml {
  return parse(readFileSync(join(repoRoot, file), 'utf8')) as ActionYml;
}

/** Every entry point the action.yml files declare (main and post of each node action), plus the CLI. */
export function bundleEntries(): BundleEntry[] {
  const files = [
    'action.yml',
    ...readdirSync(join(repoRoot, 'actions'))
      .map((name) => `actions/${name}/action.yml`)
      .filter((file) => existsSync(join(repoRoot, file))),
  ].filter((file) => existsSync(join(repoRoot, file)));
  const entries: BundleEntry[] = [];
  for (const actionFile of files) {
    const runs = readAction(actionFile).runs ?? {};
    if (!runs.using?.startsWith('node')) continue;
    const action = actionFile === 'action.yml' ? 'canary' : (actionFile.split('/')[1] as string);
    for (const stage of ['main', 'post'] as const) {
      const target = runs[stage];
      if (!target) continue;
      const bundle = relative(repoRoot, resolve(repoRoot, dirname(actionFile), target));
      entries.push({ action, stage, bundle, actionFile });
    }
  }
  entries.push({ action: 'cli', stage: 'cli', bundle: 'dist/cli/index.js' });
  return entries;
}

/**
 * The inputs' defaults as the runner evaluates them. Only the expressions the
 * action.yml files use are known; any other fails loudly rather than passing
 * the expression text through.
 */
export function actionDefaults(actionFile: string, context: { token: string; workspace: string }) {
  const values: Record<string, string> = {};
  for (const [name, input] of Object.entries(readAction(actionFile).inputs ?? {})) {
    if (input.default === undefined) continue;
    const text = String(input.default);
    values[name] = text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
      if (expression === 'github.token') return context.token;
      if (expression === 'github.workspace') return context.workspace;
      throw new Error(
        `${actionFile}: input ${name} defaults to \${{ ${expression} }}, which the harness cannot evaluate`,
      );
    });
  }
  return values;
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  properties: Record<string, string>;
}

export interface BundleRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  /** Variables exported with GITHUB_ENV, and directories added with GITHUB_PATH. */
  exported: Record<string, string>;
  path: string[];
  annotations: Annotation[];
  /** The INPUT_* variables the bundle was given (defaults included). */
  inputs: Record<string, string>;
}

export interface BundleRunOptions {
  /** action.yml whose defaults apply; defaults to the entry's. */
  actionFile?: string;
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  /** The workspace (and working directory); a fresh temp dir when unset. */
  workspace?: string;
  state?: Record<string, string>;
  args?: string[];
  stdin?: string;
  timeoutMs?: number;
}

/** The token the runner would put in `${{ github.token }}`: a recognisable fake. */
export const fakeRunnerToken = 'ghs_glidepathTestRunnerToken0000000000';

const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',');

/** `::error file=a,line=3::message` workflow commands, as the runner reads them from stdout. */
export function parseAnnotations(stdout: string): Annotation[] {
  const found: Annotation[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line.replace(/\r$/, ''));
    if (!m) continue;
    const properties: Record<string, string> = {};
    for (const pair of (m[2] ?? '').split(',').filter(Boolean)) {
      const at = pair.indexOf('=');
      properties[pair.slice(0, at)] = unescapeProperty(pair.slice(at + 1));
    }
    found.push({ level: m[1] as Annotation['level'], message: unescapeData(m[3] ?? ''), properties });
  }
  return found;
}

export async function runBundle(
  entry: BundleEntry | string,
  options: BundleRunOptions = {},
): Promise<BundleRun> {
  const bundle = typeof entry === 'string' ? entry : entry.bundle;
  const actionFile = options.actionFile ?? (typeof entry === 'string' ? undefined : entry.actionFile);
  const work = mkdtempSync(join(tmpdir(), 'glidepath-bundle-'));
  const workspace = options.workspace ?? join(work, 'workspace');
  mkdirSync(workspace, { recursive: true });
  const files = {
    GITHUB_OUTPUT: join(work, 'output'),
    GITHUB_STEP_SUMMARY: join(work, 'summary'),
    GITHUB_STATE: join(work, 'state'),
    GITHUB_ENV: join(work, 'env'),
    GITHUB_PATH: join(work, 'path'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  // The runner always writes the event payload; an empty object for events the test does not set.
  const eventPath = join(work, 'event.json');
  writeFileSync(eventPath, '{}');
  mkdirSync(join(work, 'temp'));
  const inputs: Record<string, string> = {};
  const given = {
    ...(actionFile ? actionDefaults(actionFile, { token: fakeRunnerToken, workspace }) : {}),
    ...options.inputs,
  };
  for (const [name, value] of Object.entries(given)) {
    inputs[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? work,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_TEMP: join(work, 'temp'),
    RUNNER_TOOL_CACHE: join(work, 'tool-cache'),
    GITHUB_WORKSPACE: workspace,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_REPOSITORY: 'acme/platform',
    GITHUB_SHA: 'f0'.repeat(20),
    GITHUB_RUN_ID: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    // Nothing a test did not start answers here: a bundle that calls GitHub unasked fails fast.
    GITHUB_API_URL: 'http://127.0.0.1:9',
    ...files,
    ...inputs,
    ...options.env,
  };
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value;

  const child = spawn(node24, [join(repoRoot, bundle), ...(options.args ?? [])], { cwd: workspace, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdin.end(options.stdin ?? '');
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const exitCode = await new Promise<number>((done) => {
    child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
  clearTimeout(killer);
  return {
    exitCode,
    stdout,
    stderr,
    outputs: parseFileCommand(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    state: parseFileCommand(readFileSync(files.GITHUB_STATE, 'utf8')),
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    exported: parseFileCommand(readFileSync(files.GITHUB_ENV, 'utf8')),
    path: readFileSync(files.GITHUB_PATH, 'utf8').split('\n').filter(Boolean),
    annotations: parseAnnotations(stdout),
    inputs,
  };
}

/** Signs that a bundle crashed instead of reporting: a load error or an uncaught exception. */
export function crashSigns(run: BundleRun): string[] {
  const text = `${run.stderr}\n${run.stdout}`;
  return [
    /ReferenceError: .*/,
    /SyntaxError: .*/,
    /Cannot find (?:module|package) .*/,
    /ERR_[A-Z_]+/,
    /^\s+at .*:\d+:\d+\)?$/m,
  ].flatMap((pattern) => pattern.exec(text)?.[0] ?? []);
}

/**
 * The log as the runner shows it: `::add-mask::VALUE` lines are consumed and
 * every later line (annotations included) shows `***` for VALUE
 * (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#masking-a-value-in-a-log).
 */
export function asTheRunnerShowsIt(run: Pick<BundleRun, 'stdout' | 'stderr'>): {
  log: string;
  masks: string[];
} {
  const masks: string[] = [];
  const shown: string[] = [];
  const mask = (line: string) => masks.reduce((l, m) => l.split(m).join('***'), line);
  for (const line of run.stdout.split('\n')) {
    const added = /^::add-mask::(.*)$/.exec(line);
    if (added?.[1]) masks.push(added[1]);
    else shown.push(mask(line));
  }
  return { log: [...shown, ...run.stderr.split('\n').map(mask)].join('\n'), masks };
}
