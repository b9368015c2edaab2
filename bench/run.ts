// `npm run bench [-- NAME [flags]]`: runs every benchmark, or the one named, and prints its figures.
import { benchBlastRadius } from './blast-radius.js';
import { benchChanges } from './changes.js';
import { benchColdStart } from './cold-start.js';
import { benchGateEvaluation } from './gate-evaluation.js';
import { benchPlanRender } from './plan-render.js';

const benches: Record<string, (args: string[]) => Promise<void>> = {
  'blast-radius': (args) => benchBlastRadius(args),
  'plan-render': () => benchPlanRender(),
  changes: () => benchChanges(),
  'gate-evaluation': () => benchGateEvaluation(),
  'cold-start': () => benchColdStart(),
};

const [name, ...args] = process.argv.slice(2);
if (name && !benches[name]) {
  console.error(`unknown benchmark "${name}"; one of: ${Object.keys(benches).join(', ')}`);
  process.exit(2);
}
for (const [benchName, bench] of Object.entries(benches)) {
  if (name && benchName !== name) continue;
  console.log(`\n== ${benchName}`);
  await bench(args);
}
