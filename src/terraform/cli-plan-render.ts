import { readFile } from 'node:fs/promises';
import { isConfigurationError } from '../config/errors.js';
import { parsePlan } from './plan.js';
import { renderPlan } from './render.js';

export const planRenderUsage =
  'glidepath plan render PLAN_JSON|- [--json]\n  Renders `terraform show -json PLANFILE` output (- for stdin) as the Markdown of the PR comment.\n  --json  print the counts and verdict as JSON instead of Markdown';
const USAGE = `usage: ${planRenderUsage}\n`;

async function readInput(path: string): Promise<string> {
  if (path !== '-') return readFile(path, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `glidepath plan render PLAN_JSON [--json]`: the same Markdown as the PR comment, or the counts. */
export async function planRenderCommand(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const positional = args.filter((a) => a !== '--json');
  if (positional.length !== 1 || (positional[0]?.startsWith('-') && positional[0] !== '-')) {
    process.stderr.write(USAGE);
    // EX_USAGE (sysexits.h), the CLI's code for a command called wrongly (src/cli/exit-codes.ts).
    return 64;
  }
  const path = positional[0] as string;
  try {
    const plan = parsePlan(await readInput(path), path);
    const result = renderPlan(plan, { title: `Terraform plan: \`${path}\`` });
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ verdict: result.verdict, changes: result.changes, ...result.counts, truncated: result.truncated }, null, 2)}\n`,
      );
    } else process.stdout.write(result.markdown);
    return 0;
  } catch (e: unknown) {
    if (isConfigurationError(e) || (e instanceof Error && 'code' in e && e.code === 'ENOENT')) {
      process.stderr.write(`glidepath plan render: ${e instanceof Error ? e.message : String(e)}\n`);
      // An invalid or unreadable file (src/cli/exit-codes.ts), never the code of a failed gate.
      return 3;
    }
    throw e;
  }
}
