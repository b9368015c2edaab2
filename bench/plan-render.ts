import { parsePlan } from '../src/terraform/plan.js';
import { renderPlan } from '../src/terraform/render.js';
import { generatePlan } from '../test/support/generate-plan.js';

function timeMs(rounds: number, fn: () => void): number {
  fn();
  const start = performance.now();
  for (let i = 0; i < rounds; i++) fn();
  return (performance.now() - start) / rounds;
}

/** Rendering a generated 5 000-resource plan, as a ratio to JSON.parse of the same text. */
export async function benchPlanRender(): Promise<void> {
  const text = generatePlan(5000);
  const rounds = 5;
  const parseMs = timeMs(rounds, () => JSON.parse(text));
  const modelMs = timeMs(rounds, () => parsePlan(text));
  const plan = parsePlan(text);
  const renderMs = timeMs(rounds, () => renderPlan(plan));
  const totalMs = timeMs(rounds, () => renderPlan(parsePlan(text)));
  const mb = (text.length / 1024 / 1024).toFixed(1);
  console.log(`plan render: 5000 resources, ${mb} MiB of show -json`);
  console.log(`  JSON.parse           ${parseMs.toFixed(1)} ms (1.0x)`);
  console.log(
    `  parse into the model ${modelMs.toFixed(1)} ms (${(modelMs / parseMs).toFixed(1)}x JSON.parse)`,
  );
  console.log(
    `  render (cut to 64k)  ${renderMs.toFixed(1)} ms (${(renderMs / parseMs).toFixed(1)}x JSON.parse)`,
  );
  console.log(
    `  parse + render       ${totalMs.toFixed(1)} ms (${(totalMs / parseMs).toFixed(1)}x JSON.parse)`,
  );
}
