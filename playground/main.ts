// `npm run playground [-- MODE [flags]]`: the local playground. MODE is
// `rollout` (default: a promotion, then a rollback) or `gate` (the SLO gate).
import { isUsageError } from '../src/cli/args.js';
import { formatProblem, isConfigurationError } from '../src/config/errors.js';
import { playgroundUsage } from './flags.js';
import { runGateDemo } from './gate-demo.js';
import { runRolloutDemo } from './rollout-demo.js';

const modes: Record<string, (argv: string[]) => Promise<number>> = {
  rollout: runRolloutDemo,
  gate: runGateDemo,
};

async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug') || process.env.RUNNER_DEBUG === '1';
  const args = argv.filter((a) => a !== '--debug');
  if (args.includes('--help') || args.includes('-h')) {
    console.log(playgroundUsage);
    return 0;
  }
  const [first, ...rest] = args;
  const named = first && !first.startsWith('-') ? first : undefined;
  const run = modes[named ?? 'rollout'];
  if (!run) {
    console.error(
      `playground: unknown mode "${named}": use one of ${Object.keys(modes).join(', ')} (--help lists the flags)`,
    );
    return 64;
  }
  try {
    return await run(named ? rest : args);
  } catch (e: unknown) {
    if (isUsageError(e)) {
      console.error(`playground: ${e.message} (npm run playground -- --help lists the flags)`);
      return 64;
    }
    if (isConfigurationError(e)) {
      for (const problem of e.problems) console.error(`error: ${formatProblem(problem)}`);
      return 3;
    }
    console.error(
      debug && e instanceof Error
        ? (e.stack ?? e.message)
        : `playground: unexpected error: ${e instanceof Error ? e.message : String(e)} (rerun with --debug for the stack trace)`,
    );
    return 70;
  }
}

process.exitCode = await main(process.argv.slice(2));
