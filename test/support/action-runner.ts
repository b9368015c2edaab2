import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './shared-fixtures.js';

export interface ActionRun {
  exitCode: number;
  /** ms from SIGINT to exit, when one was sent. */
  exitAfterInterruptMs?: number;
  /** The step outlived its cancel window and got SIGTERM. */
  terminated?: boolean;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  state: Record<string, string>;
}

export interface ActionRunOptions {
  /** Input names as in action.yml; each becomes INPUT_<NAME> as the runner sets it. */
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  cwd?: string;
  /** State saved by an earlier step (main), given to a post step as STATE_<name>. */
  state?: Record<string, string>;
  /** Send SIGINT after this many ms, as the runner does when a job is cancelled. */
  interruptAfterMs?: number;
  /** Send SIGINT this long (default 0) after stdout first matches, e.g. once a wait has begun. */
  interruptOn?: { stdout: RegExp; afterMs?: number };
  /** As the runner: SIGTERM this long after SIGINT (7.5 s on GitHub), SIGKILL 2.5 s later. */
  cancelWindowMs?: number;
  timeoutMs?: number;
}

/**
 * Runs a bundled entry point (e.g. `dist/slo-gate/index.js`) the way the
 * runner does: inputs as INPUT_* variables, file commands for outputs, summary
 * and state, and the exit code as the step's result.
 */
export async function runBundledAction(bundle: string, options: ActionRunOptions = {}): Promise<ActionRun> {
  const work = mkdtempSync(join(tmpdir(), 'glidepath-action-'));
  const files = {
    GITHUB_OUTPUT: join(work, 'output'),
    GITHUB_STEP_SUMMARY: join(work, 'summary'),
    GITHUB_STATE: join(work, 'state'),
    GITHUB_ENV: join(work, 'env'),
    GITHUB_PATH: join(work, 'path'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? work,
    RUNNER_TEMP: work,
    RUNNER_TOOL_CACHE: join(work, 'tool-cache'),
    GITHUB_WORKSPACE: options.cwd ?? work,
    GITHUB_ACTIONS: 'true',
    ...files,
    ...options.env,
  };
  for (const [name, value] of Object.entries(options.inputs ?? {})) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value;

  // Node 24, the actions' runtime, whatever Node runs the tests (see run-bundle.ts).
  const child = spawn(join(repoRoot, 'node_modules/.bin/node'), [join(repoRoot, bundle)], {
    cwd: options.cwd ?? work,
    env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  let interruptedAt: number | undefined;
  let terminated = false;
  const interrupt = () => {
    if (interruptedAt !== undefined) return;
    interruptedAt = Date.now();
    child.kill('SIGINT');
    if (options.cancelWindowMs !== undefined) {
      setTimeout(() => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        terminated = true;
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 2_500).unref();
      }, options.cancelWindowMs).unref();
    }
  };
  if (options.interruptAfterMs !== undefined) {
    setTimeout(interrupt, options.interruptAfterMs).unref();
  }
  if (options.interruptOn) {
    const { stdout: pattern, afterMs = 0 } = options.interruptOn;
    const watch = () => {
      if (!pattern.test(stdout)) return;
      child.stdout.off('data', watch);
      setTimeout(interrupt, afterMs).unref();
    };
    child.stdout.on('data', watch);
  }
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const exitCode = await new Promise<number>((resolveExit) => {
    child.on('close', (code, signal) => resolveExit(code ?? (signal ? 128 : 1)));
  });
  clearTimeout(killer);
  return {
    exitCode,
    ...(interruptedAt !== undefined ? { exitAfterInterruptMs: Date.now() - interruptedAt, terminated } : {}),
    stdout,
    stderr,
    outputs: parseFileCommand(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    state: parseFileCommand(readFileSync(files.GITHUB_STATE, 'utf8')),
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
  };
}

/** Reads `name<<DELIMITER\nvalue\nDELIMITER` and `name=value` entries as @actions/core writes them. */
export function parseFileCommand(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) body.push(lines[i] ?? '');
      values[name as string] = body.join('\n');
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return values;
}
