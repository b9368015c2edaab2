import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusSource } from '../../src/metrics/prometheus.js';
import { evaluate, type Snapshot } from '../../src/metrics/scrape-eval.js';
import {
  backfillOpenMetrics,
  type PrometheusServer,
  prometheusInstalled,
  startPrometheus,
} from '../support/prometheus.js';

// Counters scraped every 15 s: one that exists throughout, one born mid-way at its first error
// (as a client library creates a labelled counter), and one reset by a restart. The simulated
// Prometheus must give the same rate()/increase() as the real one on the same samples.
const T0 = 1_767_225_600; // seconds
const series: Array<{ labels: string; points: Array<[number, number]> }> = [
  { labels: 'code="200"', points: Array.from({ length: 41 }, (_, k) => [T0 + 15 * k, 500 + 37 * k]) },
  {
    labels: 'code="500"',
    points: Array.from({ length: 21 }, (_, k) => [T0 + 300 + 15 * k, 1 + Math.floor(k / 3)]),
  },
  {
    labels: 'code="503"',
    points: Array.from({ length: 41 }, (_, k) => [T0 + 15 * k, k < 25 ? 100 + 4 * k : 3 * (k - 25)]),
  },
];

function snapshots(): Snapshot[] {
  const byTime = new Map<number, Snapshot>();
  for (const s of series) {
    const code = /code="(\d+)"/.exec(s.labels)?.[1] as string;
    for (const [t, v] of s.points) {
      const snapshot = byTime.get(t * 1000) ?? { time: t * 1000, samples: [] };
      snapshot.samples.push({ labels: { __name__: 'reqs_total', code }, value: v });
      byTime.set(t * 1000, snapshot);
    }
  }
  return [...byTime.values()].sort((a, b) => a.time - b.time);
}

function simulated(query: string, atMs: number): Array<{ code?: string; value: number }> {
  const visible = snapshots().filter((s) => s.time <= atMs);
  const latest = visible.at(-1) as Snapshot;
  return evaluate(query, {
    latest,
    startOf: () => undefined,
    range: { at: atMs, within: (rangeMs) => visible.filter((s) => s.time >= atMs - rangeMs) },
  })
    .map((s) => ({ code: s.labels.code, value: s.value }))
    .sort((a, b) => (a.code ?? '').localeCompare(b.code ?? ''));
}

describe.skipIf(!prometheusInstalled())("the simulated Prometheus's rate() and increase()", () => {
  let prometheus: PrometheusServer & AsyncDisposable;
  let source: PrometheusSource;
  let backfill: { dir: string; remove(): void };

  beforeAll(async () => {
    const lines = ['# TYPE reqs counter'];
    for (const s of series) for (const [t, v] of s.points) lines.push(`reqs_total{${s.labels}} ${v} ${t}`);
    backfill = backfillOpenMetrics(`${lines.join('\n')}\n# EOF\n`);
    prometheus = (await startPrometheus({
      targets: [],
      storageFrom: backfill.dir,
      extraArgs: ['--storage.tsdb.retention.time=30d'],
    })) as PrometheusServer & AsyncDisposable;
    source = new PrometheusSource({ address: prometheus.url, retry: { retries: 0 } });
  });

  afterAll(async () => {
    await source?.close();
    await prometheus?.[Symbol.asyncDispose]();
    backfill?.remove();
  });

  const cases: Array<[string, number]> = [
    ['increase(reqs_total[1m])', T0 + 400],
    ['increase(reqs_total[37s])', T0 + 333],
    ['rate(reqs_total[2m])', T0 + 380],
    ['increase(reqs_total[5m])', T0 + 600],
    ['sum(increase(reqs_total[3m]))', T0 + 420],
    ['increase(reqs_total[10m])', T0 + 607],
  ];
  for (const [query, at] of cases) {
    it(`${query} at +${at - T0} s matches the real server`, async () => {
      const real = (await source.query(query, new Date(at * 1000)))
        .map((s) => ({ code: s.labels.code, value: s.value }))
        .sort((a, b) => (a.code ?? '').localeCompare(b.code ?? ''));
      const ours = simulated(query, at * 1000);
      expect(ours.map((s) => s.code)).toEqual(real.map((s) => s.code));
      for (const [i, sample] of real.entries()) expect(ours[i]?.value).toBeCloseTo(sample.value, 9);
    });
  }
});
