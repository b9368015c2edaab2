import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { type CliIo, runCli } from '../../src/cli/main.js';

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

function io(env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env };
  // Commands print their own results through console.
  vi.spyOn(console, 'log').mockImplementation((t: unknown) => void out.push(String(t)));
  vi.spyOn(console, 'error').mockImplementation((t: unknown) => void err.push(String(t)));
  return { io: value, out, err, text: () => [...out, ...err].join('\n') };
}

/** What a user must never see without --debug. */
const STACK = /\n\s+at |ERR_PARSE_ARGS|ENOENT|TypeError/;

describe('glidepath CLI first contact', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glidepath-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ['validate'],
    ['gate'],
    ['janitor'],
    ['import'],
    ['import', 'flagger'],
    ['import', 'argo'],
    ['plan', 'render'],
    ['plan'],
  ])('%s %s answers --help and -h with its usage, exit 0', async (...command) => {
    for (const flag of ['--help', '-h']) {
      const run = io();
      expect(await runCli([...command, flag], run.io)).toBe(0);
      expect(run.out.join('\n')).toMatch(
        new RegExp(`^glidepath ${command[0]} (\\S+\\|)?${command[1] ?? ''}`),
      );
      expect(run.err).toEqual([]);
    }
  });

  it('answers --help even after other (wrong) options, and help COMMAND', async () => {
    const run = io();
    expect(await runCli(['gate', '--nonsense', '--help'], run.io)).toBe(0);
    expect(run.out.join('')).toMatch(/^glidepath gate FILE/);
    const help = io();
    expect(await runCli(['help', 'janitor'], help.io)).toBe(0);
    expect(help.out.join('')).toMatch(/^glidepath janitor/);
  });

  it('prints the version and a usage listing every command with the exit-code table', async () => {
    const run = io();
    expect(await runCli(['--version'], run.io)).toBe(0);
    expect(run.out).toEqual([version]);
    const help = io();
    expect(await runCli(['--help'], help.io)).toBe(0);
    for (const word of ['validate', 'gate', 'janitor', 'import', 'plan render', 'Exit codes:', '64']) {
      expect(help.out.join('\n')).toContain(word);
    }
    const none = io();
    expect(await runCli([], none.io)).toBe(64);
  });

  it.each([
    [['gate', 'x.yml', '--windw', '5m'], /unknown option --windw: the options are .*--window VALUE/],
    [['gate', 'x.yml', '--window'], /option --window needs a value/],
    [['janitor', '--dry-run=yes'], /option --dry-run takes no value/],
    [['janitor', 'extra'], /unexpected argument extra/],
    [['import', 'flagger', 'c.yaml', '--document'], /option --document needs a value/],
    [['import', 'spinnaker', 'c.yaml'], /expected "flagger" or "argo"/],
    [['validate', '--strict'], /unknown option --strict/],
    [['validate'], /needs at least one FILE/],
    [['gate'], /needs at least one FILE: a Gate .* or OpenSLO/],
    [['gate', 'x.yml', '--window', 'five'], /--window "five" is not a duration/],
    [['gate', 'x.yml', '--var', 'novalue'], /--var "novalue" must be name=value/],
    [['deploy'], /unknown command "deploy": use one of validate, gate/],
    [['plan', 'apply'], /unknown sub-command "apply": use glidepath plan render/],
  ])('%j is one line naming the problem and the fix, exit 64', async (argv, message) => {
    const run = io();
    expect(await runCli(argv, run.io)).toBe(64);
    expect(run.err).toHaveLength(1);
    expect(run.err[0]).toMatch(message);
    expect(run.text()).not.toMatch(STACK);
  });

  it('names an unreadable file and exits 3, the code of an invalid file, never 1 like a failed gate', async () => {
    const missing = join(dir, 'missing.yaml');
    for (const argv of [
      ['gate', missing],
      ['validate', missing],
      ['import', 'argo', missing],
    ]) {
      const run = io();
      expect(await runCli(argv, run.io)).toBe(3);
      expect(run.err.join('\n')).toContain(`${missing}: cannot read the file (no such file); check the path`);
      expect(run.text()).not.toMatch(STACK);
    }
  });

  it('shows a bug as one line with the way to the stack trace; --debug and RUNNER_DEBUG=1 show the stack', async () => {
    const broken = {
      broken: {
        usage: 'glidepath broken',
        run: async () => {
          throw new TypeError("Cannot read properties of undefined (reading 'x')");
        },
      },
    };
    const plain = io();
    expect(await runCli(['broken'], plain.io, broken)).toBe(70);
    expect(plain.err).toHaveLength(1);
    expect(plain.err[0]).toMatch(/unexpected error: Cannot read properties .* rerun with --debug/);
    expect(plain.err[0]).not.toMatch(/\n\s+at /);
    for (const [argv, env] of [
      [['broken', '--debug'], {}],
      [['broken'], { RUNNER_DEBUG: '1' }],
    ] as const) {
      const debug = io(env);
      expect(await runCli([...argv], debug.io, broken)).toBe(70);
      expect(debug.err.join('\n')).toMatch(/TypeError: Cannot read[^\n]*\n\s+at /);
    }
  });

  it('keeps verdicts apart: validate exits 0 for a valid file and 3 listing every problem of every file', async () => {
    const good = join(dir, 'gate.yml');
    writeFileSync(
      good,
      'apiVersion: glidepath.dev/v1\nkind: Gate\nmetadata: { name: g }\nspec:\n  checks:\n    - name: up\n      query: up\n      min: 1\n',
    );
    const bad = join(dir, 'bad.yml');
    writeFileSync(
      bad,
      'apiVersion: glidepath.dev/v1\nkind: Gate\nmetadata: { name: g }\nspec:\n  window: 5 minutes\n  checks:\n    - name: up\n      query: up\n      min: 2\n      max: 1\n',
    );
    const ok = io();
    expect(await runCli(['validate', good], ok.io)).toBe(0);
    expect(ok.out.join('')).toContain('ok:');
    const run = io();
    expect(await runCli(['validate', good, bad], run.io)).toBe(3);
    const text = run.err.join('\n');
    expect(text).toContain(`${bad}:5:11: spec.window: must be a duration`);
    expect(text).toContain(`${bad}:9:12: spec.checks[0].min: min (2) is greater than max (1)`);
  });

  it('runs as a process: the exit code reaches the shell and nothing but the message is printed', () => {
    // The Node running the tests (24), with tsx's loader: the bin's runtime.
    const cli = (...args: string[]) =>
      [process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args]] as const;
    const result = spawnSync(...cli('janitor', '--namespce', 'x'), { encoding: 'utf8' });
    expect(result.status).toBe(64);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/unknown option --namespce/);
  });
});
