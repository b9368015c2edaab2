// `npm run playground [-- gate [flags]]`: the local playground.
import { runGateDemo } from './gate-demo.js';

const [mode, ...rest] = process.argv.slice(2);
const modes: Record<string, (argv: string[]) => Promise<number>> = { gate: runGateDemo };
const chosen = mode && !mode.startsWith('-') ? mode : 'gate';
const run = modes[chosen];
if (!run) {
  console.error(`unknown playground "${chosen}"; one of: ${Object.keys(modes).join(', ')}`);
  process.exit(2);
}
process.exitCode = await run(mode === chosen ? rest : process.argv.slice(2));
