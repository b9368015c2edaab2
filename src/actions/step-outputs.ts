import { readFileSync } from 'node:fs';
import * as core from '@actions/core';
import { failStep } from '../github/annotations.js';

/**
 * Runs an action's main so that the outputs its description promises are set
 * on every path: when the step fails (a configuration error, an error
 * escaping `run`, or a crash that ends the process: uncaught exception,
 * `process.exit`), each of `onFailure`'s outputs that the step did not write
 * gets its failure value. A successful step is left alone. The 'exit'
 * handler may only do synchronous work, which core.setOutput's append to
 * GITHUB_OUTPUT is.
 */
export async function runWithOutputs(
  run: () => Promise<void>,
  onFailure: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  let done = false;
  const fill = (failed: boolean) => {
    if (done || !failed) return;
    done = true;
    const written = writtenOutputs(env.GITHUB_OUTPUT);
    for (const [name, value] of Object.entries(onFailure))
      if (!written.has(name)) core.setOutput(name, value);
  };
  const onExit = (code: number) => fill(code !== 0);
  process.once('exit', onExit);
  try {
    await run();
  } catch (e: unknown) {
    failStep(e);
  } finally {
    fill(process.exitCode !== undefined && process.exitCode !== 0);
    process.off('exit', onExit);
  }
}

/**
 * Names already in the GITHUB_OUTPUT file, whoever wrote them: @actions/core
 * appends `name<<delimiter` heredocs (older writers `name=value`). Without
 * the file (a local run) nothing is known, and the failure value is written.
 */
function writtenOutputs(file: string | undefined): Set<string> {
  if (!file) return new Set();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return new Set();
  }
  const names = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      names.add(heredoc[1] as string);
      while (i + 1 < lines.length && lines[i + 1] !== heredoc[2]) i++;
      i++;
    } else if (line.includes('=')) {
      names.add(line.slice(0, line.indexOf('=')));
    }
  }
  return names;
}
