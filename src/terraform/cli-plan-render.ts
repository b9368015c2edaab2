import { readFile } from 'node:fs/promises';
import { isConfigurationError } from '../config/errors.js';
import { decodePlanBytes, parsePlan } from './plan.js';
import { renderPlan } from './render.js';

export const planRenderUsage =
  'glidepath plan render PLAN_JSON|- [--json] [--refresh-only]\n  PLAN_JSON       output of `terraform show -json PLANFILE` (- for stdin; UTF-8 or UTF-16 with a BOM)\n  --json          print the counts and verdict as JSON instead of Markdown\n  --refresh-only  the plan is a refresh-only plan (`plan -refresh-only`): show all drift';
const USAGE = `usage: ${planRenderUsage}\n`;

async function readInput(path: string): Promise<string> {
  if (path !== '-') return decodePlanBytes(await readFile(path));
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return decodePlanBytes(Buffer.concat(chunks));
}

/** `glidepath plan render PLAN_JSON [--json]`: the same Markdown as the PR comment, or the counts. */
export async function planRenderCommand(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const refreshOnly = args.includes('--refresh-only');
  const positional = args.filter((a) => a !== '--json' && a !== '--refresh-only');
  if (positional.length !== 1 || (positional[0]?.startsWith('-') && positional[0] !== '-')) {
    process.stderr.write(USAGE);
    // EX_USAGE (sysexits.h), the CLI's code for a command called wrongly (src/cli/exit-codes.ts).
    return 64;
  }
  const path = positional[0] as string;
  try {
    const plan = parsePlan(await readInput(path), path);
    const result = renderPlan(plan, { title: `Terraform plan: \`${path}\``, refreshOnly });
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
