import { describe, expect, it } from 'vitest';
import { loadRolloutText } from '../../src/config/load-rollout.js';
import { runRollout } from '../../src/rollout/engine.js';
import type { HookCaller } from '../../src/rollout/hooks.js';
import { MemoryLock, MemoryRouter, MemoryWorkloads, VirtualClock } from '../../src/simulation/memory.js';
import { SimulatedMetrics } from '../../src/simulation/metrics.js';

const config = (extra = '') => `service: demo
router: { provider: local }
steps: [5, 10, 25, 50]
interval: 2m
analysis:
  preset: demo
  sequential: { minSoak: 30s }
${extra}`;

function setup(canaryError: number, text = config(), seed = 7) {
  const spec = loadRolloutText(text, 'rollout.yml');
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const router = new MemoryRouter();
  const workloads = new MemoryWorkloads(`demo@sha256:${'a'.repeat(64)}`);
  const lock = new MemoryLock();
  const metrics = new SimulatedMetrics({
    rps: 100,
    errorProbability: { primary: 0.005, canary: canaryError },
    seed,
    canaryWeight: () => router.weights.canary,
    now: () => clock.now(),
  });
  return { spec, clock, router, workloads, lock, metrics };
}

describe('the rollout engine in simulated time', () => {
  it('promotes a healthy canary step by step and ends at 100 % primary on the new version', async () => {
    const s = setup(0.005);
    const report = await runRollout({
      ...s,
      hooks: async () => ({ phase: 'rollout', url: '', ok: true, gating: true, reason: '' }),
    });
    expect(report.outcome, report.reason).toBe('promoted');
    expect(s.router.history.map((w) => w.canary)).toEqual([5, 10, 25, 50, 0]);
    expect(s.workloads.events).toEqual(['deploy-canary', 'promote', 'scale-down-canary']);
    expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
    expect(report.steps.every((step) => step.result === 'advanced' || step.result === 'advanced-early')).toBe(
      true,
    );
    expect(s.lock.held).toBe(false);
    expect(s.lock.state?.phase).toBe('promoted');
  });

  it('rolls a canary with 10x the errors back at the first step, recording the sequential test', async () => {
    const s = setup(0.05);
    const report = await runRollout(s);
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toMatch(/step 1 failed analysis: sequential test/);
    expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
    expect(s.router.weights).toEqual({ primary: 100, canary: 0 });
    expect(s.workloads.events).toEqual(['deploy-canary', 'scale-down-canary']);
    const tick = report.steps[0]?.ticks.at(-1);
    expect(tick?.sequential?.llr).toBeGreaterThanOrEqual(tick?.sequential?.upper ?? Number.POSITIVE_INFINITY);
  });

  it('rolls back when a gating hook answers 500, naming the hook', async () => {
    const s = setup(0.005, config('hooks:\n  rollout: https://hooks.example/check'));
    const hooks: HookCaller = async (phase, hook) => ({
      phase,
      url: hook.url,
      status: 500,
      ok: false,
      gating: hook.gating,
      reason: 'answered 500',
    });
    const report = await runRollout({ ...s, hooks });
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toMatch(/rollout hook https:\/\/hooks.example\/check answered 500/);
    expect(s.router.weights.canary).toBe(0);
  });

  it('holds while data is missing, then rolls back at the deadline and says so', async () => {
    const s = setup(0.005, config('noDataDeadline: 1m'));
    const silent = { description: 'nothing', query: async () => [], queryRange: async () => [] };
    const report = await runRollout({ ...s, metrics: silent });
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toMatch(
      /no usable data for \d+ s \(noDataDeadline\).*never promotes on missing data/,
    );
    expect(report.steps[0]?.result).toBe('no-data');
    expect(s.router.weights.canary).toBe(0);
  });

  it('fails closed when the metrics source breaks mid-rollout', async () => {
    const s = setup(0.005);
    let calls = 0;
    const flaky = {
      description: 'flaky',
      query: async (expr: string) => {
        calls++;
        if (calls > 40) throw new Error('Prometheus did not answer usefully after 4 attempts: ECONNREFUSED');
        return s.metrics.query(expr);
      },
      queryRange: async () => [],
    };
    const report = await runRollout({ ...s, metrics: flaky });
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toMatch(/ECONNREFUSED/);
    expect(report.finalWeights).toEqual({ primary: 100, canary: 0 });
  });

  it('restores 100 % primary when the canary never becomes ready', async () => {
    const s = setup(0.005);
    s.workloads.deployCanary = async () => {
      throw new Error(
        'Deployment demo-canary did not become ready within 10m0s: Available=False MinimumReplicasUnavailable',
      );
    };
    const report = await runRollout(s);
    expect(report.outcome).toBe('failed');
    expect(report.reason).toMatch(/did not become ready/);
    expect(s.router.weights).toEqual({ primary: 100, canary: 0 });
  });

  it('puts the primary back on its old spec when the promotion itself fails', async () => {
    const s = setup(0.005);
    s.workloads.promotePrimary = async () => {
      s.workloads.events.push('promote');
      throw new Error('Deployment demo-primary did not become ready within 10m0s');
    };
    s.workloads.revertPrimary = async () => {
      s.workloads.events.push('revert-primary');
    };
    const report = await runRollout(s);
    expect(report.outcome).toBe('failed');
    expect(s.workloads.events).toEqual(['deploy-canary', 'promote', 'revert-primary', 'scale-down-canary']);
    expect(report.decisions.map((d) => d.reason)).toContain('demo-primary is back on its previous spec');
    expect(s.router.weights).toEqual({ primary: 100, canary: 0 });
  });

  it('rolls back at once when cancelled mid-step', async () => {
    const s = setup(0.005);
    const cancel = new AbortController();
    const originalSet = s.router.setWeights.bind(s.router);
    s.router.setWeights = async (w) => {
      if (w.canary === 25) cancel.abort();
      return originalSet(w);
    };
    const report = await runRollout({ ...s, signal: cancel.signal });
    expect(report.reason).toBe('the job was cancelled');
    expect(report.outcome).toBe('failed');
    expect(report.reason).toBe('the job was cancelled');
    expect(report.steps.at(-1)?.result).toBe('cancelled');
    expect(s.router.weights).toEqual({ primary: 100, canary: 0 });
  });

  it('refuses to start while another rollout holds the lock, and writes nothing', async () => {
    const s = setup(0.005);
    s.lock.held = true;
    const report = await runRollout(s);
    expect(report.outcome).toBe('failed');
    expect(report.reason).toMatch(/another rollout holds the lock/);
    expect(s.router.history).toEqual([]);
    expect(s.workloads.events).toEqual([]);
  });
});
