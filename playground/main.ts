// `npm run playground [-- MODE [flags]]`: the local playground. MODE is
// `rollout` (default: a promotion, then a rollback) or `gate` (the SLO gate).
import { runGateDemo } from './gate-demo.js';
import { runRolloutDemo } from './rollout-demo.js';

const modes: Record<string, (argv: string[]) => Promise<number>> = {
  rollout: runRolloutDemo,
  gate: runGateDemo,
};
const [first, ...rest] = process.argv.slice(2);
const named = first && !first.startsWith('-') ? first : undefined;
const run = modes[named ?? 'rollout'];
if (!run) {
  console.error(`unknown playground "${named}"; one of: ${Object.keys(modes).join(', ')}`);
  process.exit(2);
}
process.exitCode = await run(named ? rest : process.argv.slice(2));
