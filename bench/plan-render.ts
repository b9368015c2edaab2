import { parsePlan } from '../src/terraform/plan.js';
import { renderPlan } from '../src/terraform/render.js';
import { generatePlan } from '../test/support/generate-plan.js';

/**
 * The fastest of `rounds` runs of each: on a shared machine the minimum is the
 * figure least disturbed by other work (and by the collector cleaning up
 * after another measurement); the reference, JSON.parse, is measured the same
 * way in the same run, so the ratio is comparable.
 */
function fastest(rounds: number, fns: Record<string, () => void>): Record<string, number> {
  const best: Record<string, number> = {};
  for (const [name, fn] of Object.entries(fns)) {
    fn();
    for (let i = 0; i < rounds; i++) {
      const start = performance.now();
      fn();
      best[name] = Math.min(best[name] ?? Infinity, performance.now() - start);
    }
  }
  return best;
}

/** Target of issue 9: parse + render of a 5 000-resource plan within 1.5x JSON.parse of its text. */
const TARGET = 1.5;

/** Rendering a generated 5 000-resource plan, as a ratio to JSON.parse of the same text. */
export async function benchPlanRender(): Promise<void> {
  const text = generatePlan(5000);
  const plan = parsePlan(text);
  const t = fastest(15, {
    parse: () => JSON.parse(text),
    model: () => parsePlan(text),
    render: () => renderPlan(plan),
    total: () => renderPlan(parsePlan(text)),
  });
  const ratio = (ms: number) => `${(ms / (t.parse as number)).toFixed(2)}x JSON.parse`;
  const mb = (text.length / 1024 / 1024).toFixed(1);
  console.log(`plan render: 5000 resources, ${mb} MiB of show -json (fastest of 15 runs each)`);
  console.log(`  JSON.parse           ${(t.parse as number).toFixed(1)} ms (1.00x)`);
  console.log(`  parse into the model ${(t.model as number).toFixed(1)} ms (${ratio(t.model as number)})`);
  console.log(`  render (cut to 64k)  ${(t.render as number).toFixed(1)} ms (${ratio(t.render as number)})`);
  const total = (t.total as number) / (t.parse as number);
  console.log(
    `  parse + render       ${(t.total as number).toFixed(1)} ms (${ratio(t.total as number)}; target ≤ ${TARGET}x: ${total <= TARGET ? 'met' : 'NOT met'})`,
  );
}
