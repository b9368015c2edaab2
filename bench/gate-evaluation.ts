import { planGates } from '../src/analysis/gate.js';
import { loadGateTexts } from '../src/config/load-gates.js';
import { gateFile } from '../test/support/gate-fixtures.js';

/** Loading, validating and rendering the queries of a gate with many checks: the work done before any query. */
export async function benchGateEvaluation(): Promise<void> {
  const checks = 200;
  const base = gateFile({ track: 'stable', max: 0.05 });
  const [head, check] = base.split('    - name: error-rate') as [string, string];
  const text =
    head + Array.from({ length: checks }, (_, i) => `    - name: error-rate-${i}${check}`).join('');
  const rounds = 20;
  const start = performance.now();
  for (let i = 0; i < rounds; i++) {
    planGates(loadGateTexts([{ file: 'gate.yml', text }]), {
      defaultWindow: '5m',
      source: { provider: 'prometheus', address: 'http://127.0.0.1:9' },
    });
  }
  const perRound = (performance.now() - start) / rounds;
  console.log(
    `gate planning: ${checks} checks loaded, validated and rendered in ${perRound.toFixed(1)} ms (${((perRound / checks) * 1000).toFixed(0)} µs per check)`,
  );
}
