import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runGateDemo } from '../../playground/gate-demo.js';
import { runRolloutDemo } from '../../playground/rollout-demo.js';
import { UsageError } from '../../src/cli/args.js';

// A bad flag is refused before any service, proxy or Prometheus starts.
describe('playground flags', () => {
  it.each([
    [runRolloutDemo, ['--steps', '50,10'], /--steps "50,10" must be rising weights from 1 to 100/],
    [runRolloutDemo, ['--interval', 'soon'], /--interval "soon" must be a duration/],
    [runRolloutDemo, ['--canary-error-rate', '8'], /--canary-error-rate "8" must be a fraction from 0 to 1/],
    [runRolloutDemo, ['--rps'], /option --rps needs a value/],
    [runRolloutDemo, ['--step', '10'], /unknown option --step: the options are/],
    [runGateDemo, ['--error-rate', 'high'], /--error-rate "high" must be a fraction/],
  ] as const)('%o refuses %j naming the flag, not playground/rollout.yml', async (run, argv, message) => {
    const error = await run([...argv]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('rollout.yml');
  });

  it('answers --help with exit 0 and a bad flag with one line and exit 64, as a process', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'playground/main.ts', ...args], { encoding: 'utf8' });
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--canary-error-rate R');
    const bad = run('gate', '--nope');
    expect(bad.status).toBe(64);
    expect(bad.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^playground: unknown option --nope/),
    ]);
  });
});
