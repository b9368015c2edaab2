// Blast radius: how many failed requests a bad canary serves before each strategy rolls it back,
// how fast a healthy one is promoted, and how often each strategy decides wrongly.
// `npm run bench -- blast-radius [--rps 100] [--base-error 0.005] [--multiplier 5] [--runs 1000] [--seed 1] [--json]`
import { mulberry32 } from '../src/analysis/random.js';
import { loadRolloutText } from '../src/config/load-rollout.js';
import { SimulatedMetrics } from '../src/metrics/simulated.js';
import { runRollout } from '../src/rollout/engine.js';
import { MemoryLock, MemoryRouter, MemoryWorkloads, VirtualClock } from '../src/rollout/simulation/memory.js';

export interface BlastRadiusOptions {
  rps: number;
  baseError: number;
  /** Canary error rate = baseError * multiplier; 1 is a healthy canary. */
  multiplier: number;
  runs: number;
  seed: number;
  /** The glidepath rollout config to run; DEFAULT_ROLLOUT unless given (for exploring other settings). */
  rollout?: string;
}

type Outcome = 'promoted' | 'rolled-back' | 'undecided';

interface RunResult {
  outcome: Outcome;
  /** Simulated seconds from the canary's first traffic to the decision. */
  decideSeconds: number;
  /** Canary errors beyond what the old version would have failed on the same requests. */
  excess: number;
}

export interface StrategySummary {
  strategy: string;
  runs: number;
  promoted: number;
  rolledBack: number;
  undecided: number;
  excessMean: number;
  excessP95: number;
  decideMeanSeconds: number;
  decideP95Seconds: number;
  /** Mean over promoted runs; undefined when none was promoted. */
  promoteMeanSeconds?: number;
  /** Multiplier 1: share of runs rolled back. */
  falseRollbackRate?: number;
  /** Multiplier > 1: share of runs promoted. */
  falsePromotionRate?: number;
}

export interface ScenarioResult {
  multiplier: number;
  glidepath: StrategySummary;
  flagger: StrategySummary;
}

export interface BlastRadiusResult {
  options: BlastRadiusOptions;
  scenarios: ScenarioResult[];
  /** glidepath's mean excess failures over Flagger's, in the scenario of the requested multiplier. */
  excessRatio: number;
}

const START = Date.UTC(2026, 0, 1);
const TICK_MS = 1_000;

/**
 * What a new user writes: a service, a router and the demo preset, nothing
 * tuned. Every other figure (steps, interval, check interval, the sequential
 * test's alpha, beta, multiplier and soak) is glidepath's default.
 */
export const DEFAULT_ROLLOUT = `service: demo
router: { provider: local }
analysis:
  preset: demo
`;

/**
 * The analysis Flagger's tutorials ship (fluxcd/flagger
 * docs/gitbook/tutorials/istio-progressive-delivery.md: interval 1m,
 * threshold 5, maxWeight 50, stepWeight 10, request-success-rate min 99 over
 * 1m; "the canary analysis will run for five minutes while validating the
 * HTTP metrics ... every minute"). The request-duration check is left out:
 * the simulated canary's latency equals the primary's, so it never fails.
 */
const FLAGGER = {
  intervalMs: 60_000,
  threshold: 5,
  stepWeight: 10,
  maxWeight: 50,
  /** request-success-rate thresholdRange.min, in percent, over the metric interval of 1m. */
  minSuccessRate: 99,
  metricInterval: '1m',
};

const SUCCESS_RATE = `sum(rate(http_requests_total{app="demo",track="canary",code!~"5.."}[${FLAGGER.metricInterval}])) / sum(rate(http_requests_total{app="demo",track="canary"}[${FLAGGER.metricInterval}])) * 100`;

function traffic(options: BlastRadiusOptions, multiplier: number, seed: number) {
  const clock = new VirtualClock(START);
  let canaryWeight = 0;
  const metrics = new SimulatedMetrics({
    rps: options.rps,
    errorProbability: {
      primary: options.baseError,
      canary: Math.min(1, options.baseError * multiplier),
    },
    seed,
    canaryWeight: () => canaryWeight,
    now: () => clock.now(),
    tickMs: TICK_MS,
  });
  const excess = () => {
    metrics.advance();
    const { canary } = metrics.served;
    return canary.errors - canary.requests * options.baseError;
  };
  return {
    clock,
    metrics,
    excess,
    setCanaryWeight: (w: number) => {
      canaryWeight = w;
    },
  };
}

/** One rollout through the real engine with the default config. */
async function runGlidepath(
  options: BlastRadiusOptions,
  multiplier: number,
  seed: number,
): Promise<RunResult> {
  const spec = loadRolloutText(options.rollout ?? DEFAULT_ROLLOUT, 'rollout.yml');
  const sim = traffic(options, multiplier, seed);
  const router = new MemoryRouter();
  const setWeights = router.setWeights.bind(router);
  router.setWeights = async (weights) => {
    sim.setCanaryWeight(weights.canary);
    return setWeights(weights);
  };
  const report = await runRollout({
    spec,
    router,
    workloads: new MemoryWorkloads(`demo@sha256:${'a'.repeat(64)}`),
    metrics: sim.metrics,
    lock: new MemoryLock(),
    clock: sim.clock,
  });
  const outcome: Outcome =
    report.outcome === 'promoted'
      ? 'promoted'
      : report.outcome === 'rolled-back'
        ? 'rolled-back'
        : 'undecided';
  const decided = Date.parse(report.endedAt ?? report.startedAt);
  return { outcome, decideSeconds: (decided - START) / 1000, excess: sim.excess() };
}

/**
 * Flagger's canary loop (pkg/controller/scheduler.go, advanceCanary, and
 * scheduler_metrics.go, runBuiltinMetricChecks), one pass per `interval`:
 * 1. If failedChecks >= threshold, roll back. This test comes before the
 *    analysis, so the check that reaches the threshold rolls back on the
 *    next pass, one interval later.
 * 2. On the first pass (weight 0, no iterations) no analysis runs; the
 *    weight goes straight to stepWeight.
 * 3. Otherwise request-success-rate is queried over its metric interval
 *    (1m). No value ("no values found ... probably not receiving traffic")
 *    or a rate below the minimum fails the check: failedChecks + 1 and the
 *    weight stays. Failed checks are never reset during an analysis.
 * 4. A passing check raises the weight by stepWeight while it is below
 *    maxWeight; at maxWeight a pass promotes (copies the canary spec to the
 *    primary). Promotion is counted here, at that decision; Flagger then
 *    spends one more interval routing traffic back and one scaling down.
 * Time starts at the pass that first sends traffic to the canary, as for
 * glidepath; the pass that merely detects the new revision is not counted.
 */
async function runFlagger(options: BlastRadiusOptions, multiplier: number, seed: number): Promise<RunResult> {
  const sim = traffic(options, multiplier, seed);
  let weight = FLAGGER.stepWeight;
  sim.setCanaryWeight(weight);
  let failedChecks = 0;
  // Bounded: with failed checks never reset, every analysis ends within maxWeight/stepWeight + threshold passes.
  for (let pass = 1; pass <= 100; pass++) {
    await sim.clock.sleep(FLAGGER.intervalMs);
    const decideSeconds = (sim.clock.now() - START) / 1000;
    if (failedChecks >= FLAGGER.threshold) {
      const excess = sim.excess();
      sim.setCanaryWeight(0);
      return { outcome: 'rolled-back', decideSeconds, excess };
    }
    const samples = await sim.metrics.query(SUCCESS_RATE);
    const value = samples[0]?.value;
    if (value === undefined || Number.isNaN(value) || value < FLAGGER.minSuccessRate) {
      failedChecks++;
      continue;
    }
    if (weight < FLAGGER.maxWeight) {
      weight = Math.min(100, weight + FLAGGER.stepWeight);
      sim.setCanaryWeight(weight);
      continue;
    }
    return { outcome: 'promoted', decideSeconds, excess: sim.excess() };
  }
  return { outcome: 'undecided', decideSeconds: (sim.clock.now() - START) / 1000, excess: sim.excess() };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
}

const mean = (values: number[]) =>
  values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;

function summarize(strategy: string, multiplier: number, results: RunResult[]): StrategySummary {
  const count = (o: Outcome) => results.filter((r) => r.outcome === o).length;
  const promotedTimes = results.filter((r) => r.outcome === 'promoted').map((r) => r.decideSeconds);
  const excess = results.map((r) => r.excess);
  const decide = results.map((r) => r.decideSeconds);
  const summary: StrategySummary = {
    strategy,
    runs: results.length,
    promoted: count('promoted'),
    rolledBack: count('rolled-back'),
    undecided: count('undecided'),
    excessMean: mean(excess),
    excessP95: percentile(excess, 0.95),
    decideMeanSeconds: mean(decide),
    decideP95Seconds: percentile(decide, 0.95),
  };
  if (promotedTimes.length > 0) summary.promoteMeanSeconds = mean(promotedTimes);
  if (multiplier === 1) summary.falseRollbackRate = summary.rolledBack / results.length;
  else summary.falsePromotionRate = summary.promoted / results.length;
  return summary;
}

/** Seeds for the runs: the same list for both strategies, so run i of each sees the same random stream. */
function runSeeds(seed: number, runs: number): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: runs }, () => Math.floor(rng.next() * 2 ** 32));
}

export async function runBlastRadius(options: BlastRadiusOptions): Promise<BlastRadiusResult> {
  const multipliers = options.multiplier === 1 ? [1] : [options.multiplier, 1];
  const seeds = runSeeds(options.seed, options.runs);
  const scenarios: ScenarioResult[] = [];
  for (const multiplier of multipliers) {
    const glidepath: RunResult[] = [];
    const flagger: RunResult[] = [];
    for (const seed of seeds) {
      glidepath.push(await runGlidepath(options, multiplier, seed));
      flagger.push(await runFlagger(options, multiplier, seed));
    }
    scenarios.push({
      multiplier,
      glidepath: summarize('glidepath defaults', multiplier, glidepath),
      flagger: summarize('Flagger defaults', multiplier, flagger),
    });
  }
  const first = scenarios[0] as ScenarioResult;
  return { options, scenarios, excessRatio: first.glidepath.excessMean / first.flagger.excessMean };
}

export function parseBlastRadiusArgs(args: string[]): BlastRadiusOptions & { json: boolean } {
  const options = { rps: 100, baseError: 0.005, multiplier: 5, runs: 1000, seed: 1, json: false };
  const numeric: Record<string, keyof typeof options> = {
    '--rps': 'rps',
    '--base-error': 'baseError',
    '--multiplier': 'multiplier',
    '--runs': 'runs',
    '--seed': 'seed',
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [flag, inline] = arg.includes('=') ? (arg.split('=', 2) as [string, string]) : [arg, undefined];
    if (flag === '--json') {
      options.json = true;
      continue;
    }
    const field = numeric[flag];
    if (!field)
      throw new Error(`unknown flag "${flag}"; expected ${Object.keys(numeric).join(', ')} or --json`);
    const text = inline ?? args[++i];
    const value = Number(text);
    if (text === undefined || !Number.isFinite(value))
      throw new Error(`${flag} needs a number (found ${text === undefined ? 'nothing' : `"${text}"`})`);
    (options as Record<string, number | boolean>)[field] = value;
  }
  if (!(options.rps > 0)) throw new Error(`--rps must be above 0 (found ${options.rps})`);
  if (!(options.baseError > 0 && options.baseError < 1))
    throw new Error(`--base-error must be between 0 and 1 (found ${options.baseError})`);
  if (!(options.multiplier >= 1) || options.baseError * options.multiplier > 1)
    throw new Error(
      `--multiplier must be at least 1 with base error x multiplier <= 1 (found ${options.multiplier})`,
    );
  if (!(Number.isInteger(options.runs) && options.runs >= 1))
    throw new Error(`--runs must be a whole number of at least 1 (found ${options.runs})`);
  return options;
}

const fmt = (v: number | undefined, digits = 1) =>
  v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits);
const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(1)} %`);

function table(scenario: ScenarioResult): string {
  const rows: Array<[string, (s: StrategySummary) => string]> = [
    ['rolled back / promoted / undecided', (s) => `${s.rolledBack} / ${s.promoted} / ${s.undecided}`],
    ['excess failed requests, mean', (s) => fmt(s.excessMean)],
    ['excess failed requests, p95', (s) => fmt(s.excessP95)],
    ['time to decide, mean (s)', (s) => fmt(s.decideMeanSeconds, 0)],
    ['time to decide, p95 (s)', (s) => fmt(s.decideP95Seconds, 0)],
    ['time to promote, mean (s)', (s) => fmt(s.promoteMeanSeconds, 0)],
    scenario.multiplier === 1
      ? ['false rollbacks', (s) => pct(s.falseRollbackRate)]
      : ['false promotions', (s) => pct(s.falsePromotionRate)],
  ];
  const strategies = [scenario.glidepath, scenario.flagger];
  const widths = [
    Math.max(...rows.map(([label]) => label.length)),
    ...strategies.map((s) => Math.max(s.strategy.length, ...rows.map(([, cell]) => cell(s).length))),
  ];
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ');
  return [
    line(['', ...strategies.map((s) => s.strategy)]),
    ...rows.map(([label, cell]) => line([label, ...strategies.map(cell)])),
  ].join('\n');
}

export async function benchBlastRadius(args: string[]): Promise<void> {
  const { json, ...options } = parseBlastRadiusArgs(args);
  const started = performance.now();
  const result = await runBlastRadius(options);
  if (json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(
    `${options.runs} simulated rollouts per strategy and scenario: ${options.rps} rps, base error ${(options.baseError * 100).toPrecision(2)} %, seed ${options.seed} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  for (const scenario of result.scenarios) {
    const label =
      scenario.multiplier === 1
        ? 'healthy canary (multiplier 1)'
        : `bad canary (multiplier ${scenario.multiplier})`;
    console.log(
      `\n${label}, canary error rate ${(Math.min(1, options.baseError * scenario.multiplier) * 100).toPrecision(3)} %`,
    );
    console.log(table(scenario));
  }
  console.log(
    `\nglidepath / Flagger mean excess failures (multiplier ${options.multiplier}): ${result.excessRatio.toFixed(3)}`,
  );
}
