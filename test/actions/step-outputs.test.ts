import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFileCommand, runBundledAction } from '../support/action-runner.js';
import { repoRoot } from '../support/shared-fixtures.js';

/** Runs `body` (the inside of an async run()) under runWithOutputs in its own Node process, as an action's entry point does. */
function runEntry(body: string) {
  const work = mkdtempSync(join(tmpdir(), 'glidepath-outputs-'));
  const output = join(work, 'output');
  writeFileSync(output, '');
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'test/actions/step-outputs-entry.ts')],
    {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', GITHUB_OUTPUT: output, GLIDEPATH_TEST_BODY: body },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return {
    status: run.status,
    stdout: run.stdout,
    stderr: run.stderr,
    outputs: parseFileCommand(readFileSync(output, 'utf8')),
  };
}

describe('outputs on every path', () => {
  it('a configuration error sets outcome=failed and annotates, without a stack trace', () => {
    const run = runEntry(
      `throw new ConfigurationError([{ field: 'steps', file: 'rollout.yml', line: 3, message: 'must be ascending' }]);`,
    );
    expect(run.status).toBe(1);
    expect(run.outputs.outcome).toBe('failed');
    expect(run.stdout).toContain(
      '::error title=glidepath configuration,file=rollout.yml,line=3::steps: must be ascending',
    );
    expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /);
  });

  it('a crash outside the awaited path (an exception thrown from a timer) still sets outcome=failed', () => {
    const run = runEntry(`await new Promise(() => setTimeout(() => { throw new Error('boom'); }, 10));`);
    expect(run.status).not.toBe(0);
    expect(run.outputs.outcome).toBe('failed');
  });

  it('process.exit(1) from deep inside sets outcome=failed', () => {
    const run = runEntry(`process.exit(1);`);
    expect(run.status).toBe(1);
    expect(run.outputs.outcome).toBe('failed');
  });

  it("a failed step keeps the outcome it wrote itself (rolled-back is not overwritten by 'failed')", () => {
    const run = runEntry(
      `core.setOutput('outcome', 'rolled-back'); core.setFailed('Canary rolled-back: step 1 failed');`,
    );
    expect(run.status).toBe(1);
    expect(run.outputs.outcome).toBe('rolled-back');
  });

  it('a successful step is left alone', () => {
    const run = runEntry(`core.info('fine');`);
    expect(run.status).toBe(0);
    expect(run.outputs).toEqual({});
  });
});

const canary = 'dist/canary/index.js';
const gate = 'dist/slo-gate/index.js';

// The bundles as the runner runs them: the promise holds for what users download, not only for the sources.
describe.skipIf(!existsSync(join(repoRoot, canary)) || !existsSync(join(repoRoot, gate)))(
  'outputs of the bundled actions on a configuration error',
  () => {
    it('canary: a missing config file sets outcome=failed', async () => {
      const run = await runBundledAction(canary, {
        inputs: {
          config: 'nowhere.yml',
          image: `x@sha256:${'a'.repeat(64)}`,
          manifest: 'm.yml',
          'dry-run': 'false',
          resume: 'false',
        },
      });
      expect(run.exitCode).toBe(1);
      expect(run.outputs.outcome).toBe('failed');
      expect(run.state.isPost).toBe('true');
    });

    it('slo-gate: an invalid input sets result=fail', async () => {
      const run = await runBundledAction(gate, { inputs: { slos: 'slo.yml', 'fail-on': 'sometimes' } });
      expect(run.exitCode).toBe(1);
      expect(run.outputs.result).toBe('fail');
      expect(run.stdout).toContain('fail-on');
    });
  },
);
