import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import { parseDuration } from '../config/duration.js';
import { QueryRejectedError, type Sample } from './source.js';

export interface Snapshot {
  /** Milliseconds since the epoch when the scrape finished. */
  time: number;
  samples: Sample[];
}

/** Scrapes in time order; `before(ms)` gives the snapshot to take a rate against. */
export interface SnapshotHistory {
  latest: Snapshot;
  /** The oldest snapshot no older than `rangeMs` before the latest (as a range selector would). */
  startOf(rangeMs: number): Snapshot | undefined;
  /**
   * When given, rate/increase see every scrape in the range and extrapolate as Prometheus does
   * (a server's stored history); without it they take two points (the scrape source).
   */
  range?: { at: number; within(rangeMs: number): Snapshot[] };
}

type Value =
  | { kind: 'vector'; samples: Sample[] }
  | { kind: 'scalar'; value: number }
  | { kind: 'range'; node: SyntaxNode; rangeMs: number };

const SUPPORTED =
  'the scrape source evaluates selectors, rate/increase/irate, sum/avg/min/max/count (by/without), histogram_quantile, arithmetic and numbers; use a Prometheus server for anything else';

/**
 * A small PromQL evaluator over two scrapes, so the playground and simple
 * gates work without a Prometheus server. Counters become rates between the
 * latest scrape and the one a window earlier, as PromQL's rate() would over
 * two points.
 */
export function evaluate(query: string, history: SnapshotHistory): Sample[] {
  const tree = parser.parse(query);
  const top = tree.topNode.firstChild;
  if (!top) throw new QueryRejectedError('empty query');
  const result = evalNode(top, query, history);
  if (result.kind === 'scalar') return [{ labels: {}, value: result.value }];
  if (result.kind === 'range')
    throw new QueryRejectedError('the query returns a range, not a number: wrap it in rate()');
  return result.samples;
}

function text(node: SyntaxNode, query: string): string {
  return query.slice(node.from, node.to);
}

function children(node: SyntaxNode): SyntaxNode[] {
  const list: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) list.push(child);
  return list;
}

function evalNode(node: SyntaxNode, query: string, history: SnapshotHistory): Value {
  switch (node.name) {
    case 'ParenExpr':
      return evalNode(node.firstChild as SyntaxNode, query, history);
    case 'NumberDurationLiteral':
      return { kind: 'scalar', value: Number(text(node, query)) };
    case 'UnaryExpr': {
      const inner = evalNode(node.lastChild as SyntaxNode, query, history);
      const sign = text(node, query).trim().startsWith('-') ? -1 : 1;
      return mapValues(inner, (v) => sign * v);
    }
    case 'VectorSelector':
      return { kind: 'vector', samples: select(node, query, history.latest.samples) };
    case 'MatrixSelector': {
      const duration = node.getChild('DurationExpr');
      const rangeMs = duration ? parseDuration(text(duration, query)) : undefined;
      if (!rangeMs) throw new QueryRejectedError(`unsupported range in ${text(node, query)}`);
      return { kind: 'range', node: node.firstChild as SyntaxNode, rangeMs };
    }
    case 'FunctionCall':
      return evalFunction(node, query, history);
    case 'AggregateExpr':
      return evalAggregate(node, query, history);
    case 'BinaryExpr':
      return evalBinary(node, query, history);
    default:
      throw new QueryRejectedError(`${SUPPORTED} (found ${node.name}: ${text(node, query)})`);
  }
}

function mapValues(value: Value, fn: (v: number) => number): Value {
  if (value.kind === 'scalar') return { kind: 'scalar', value: fn(value.value) };
  if (value.kind === 'vector')
    return { kind: 'vector', samples: value.samples.map((s) => ({ labels: s.labels, value: fn(s.value) })) };
  throw new QueryRejectedError('arithmetic on a range is not valid PromQL');
}

function select(node: SyntaxNode, query: string, samples: Sample[]): Sample[] {
  const identifier = node.getChild('Identifier');
  const matchers: Array<(labels: Record<string, string>) => boolean> = [];
  if (identifier) {
    const name = text(identifier, query);
    matchers.push((labels) => labels.__name__ === name);
  }
  const list = node.getChild('LabelMatchers');
  for (const matcher of list ? children(list) : []) {
    if (matcher.name !== 'UnquotedLabelMatcher') continue;
    const label = text(matcher.getChild('LabelName') as SyntaxNode, query);
    const op = text(matcher.getChild('MatchOp') as SyntaxNode, query);
    const literal = text(matcher.getChild('StringLiteral') as SyntaxNode, query);
    const value = unquote(literal);
    const regex = op.endsWith('~') ? new RegExp(`^(?:${value})$`) : undefined;
    matchers.push((labels) => {
      const actual = labels[label] ?? '';
      const matches = regex ? regex.test(actual) : actual === value;
      return op.startsWith('!') ? !matches : matches;
    });
  }
  return samples.filter((s) => matchers.every((m) => m(s.labels)));
}

function unquote(literal: string): string {
  const body = literal.slice(1, -1);
  return literal.startsWith('`') ? body : body.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function withoutName(labels: Record<string, string>): Record<string, string> {
  const { __name__: _, ...rest } = labels;
  return rest;
}

/** One string per label set, whatever the order of its labels: how series are told apart. */
export function labelSetKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function evalFunction(node: SyntaxNode, query: string, history: SnapshotHistory): Value {
  const name = text(node.getChild('FunctionIdentifier') as SyntaxNode, query);
  const args = children(node.getChild('FunctionCallBody') as SyntaxNode);
  if (name === 'rate' || name === 'increase' || name === 'irate') {
    const range = evalNode(args[0] as SyntaxNode, query, history);
    if (range.kind !== 'range')
      throw new QueryRejectedError(`${name}() needs a range selector such as metric[5m]`);
    if (history.range && name !== 'irate') {
      return {
        kind: 'vector',
        samples: extrapolatedRate(
          history.range.within(range.rangeMs).map((s) => ({
            time: s.time,
            samples: select(range.node, query, s.samples),
          })),
          history.range.at,
          range.rangeMs,
          name === 'rate',
        ),
      };
    }
    const start = history.startOf(range.rangeMs);
    if (!start || start.time >= history.latest.time) return { kind: 'vector', samples: [] };
    const before = new Map(
      select(range.node, query, start.samples).map((s) => [labelSetKey(s.labels), s.value]),
    );
    const seconds = (history.latest.time - start.time) / 1000;
    const samples: Sample[] = [];
    for (const sample of select(range.node, query, history.latest.samples)) {
      // Client libraries create a labelled counter at its first increment, so
      // a series absent from the earlier scrape counted from zero since then.
      const old = before.get(labelSetKey(sample.labels)) ?? 0;
      // A counter that went down was reset (a restart): count from zero, as PromQL does.
      const delta = sample.value >= old ? sample.value - old : sample.value;
      samples.push({
        labels: withoutName(sample.labels),
        value: name === 'increase' ? delta : delta / seconds,
      });
    }
    return { kind: 'vector', samples };
  }
  if (name === 'histogram_quantile') {
    const q = evalNode(args[0] as SyntaxNode, query, history);
    const buckets = evalNode(args[1] as SyntaxNode, query, history);
    if (q.kind !== 'scalar' || buckets.kind !== 'vector')
      throw new QueryRejectedError('histogram_quantile(φ, buckets) needs a number and a vector');
    return { kind: 'vector', samples: histogramQuantile(q.value, buckets.samples) };
  }
  if (name === 'vector') {
    const value = evalNode(args[0] as SyntaxNode, query, history);
    if (value.kind !== 'scalar') throw new QueryRejectedError('vector() needs a number');
    return { kind: 'vector', samples: [{ labels: {}, value: value.value }] };
  }
  throw new QueryRejectedError(`${SUPPORTED} (found ${name}())`);
}

/**
 * rate()/increase() as Prometheus 2.x computes them (prometheus/prometheus promql/functions.go,
 * extrapolatedRate): a series needs two samples in the range; the increase between the first and
 * last sample (counter resets added back) is extrapolated towards each end of the range by the
 * distance to it when that is under 1.1 average sample intervals, else by half an interval, and
 * never below the counter's extrapolated zero. So a series born inside the range (every canary
 * error series) loses the increments before its first sample, and counts are fractional.
 */
function extrapolatedRate(snapshots: Snapshot[], at: number, rangeMs: number, isRate: boolean): Sample[] {
  const series = new Map<string, { labels: Record<string, string>; points: Array<[number, number]> }>();
  for (const snapshot of snapshots) {
    for (const sample of snapshot.samples) {
      const k = labelSetKey(sample.labels);
      const entry = series.get(k) ?? { labels: withoutName(sample.labels), points: [] };
      entry.points.push([snapshot.time, sample.value]);
      series.set(k, entry);
    }
  }
  const rangeStart = at - rangeMs;
  const out: Sample[] = [];
  for (const { labels, points } of series.values()) {
    if (points.length < 2) continue;
    const [firstT, firstV] = points[0] as [number, number];
    const [lastT, lastV] = points.at(-1) as [number, number];
    let result = lastV - firstV;
    for (let i = 1; i < points.length; i++) {
      const previous = (points[i - 1] as [number, number])[1];
      if ((points[i] as [number, number])[1] < previous) result += previous;
    }
    let durationToStart = (firstT - rangeStart) / 1000;
    const durationToEnd = (at - lastT) / 1000;
    const sampledInterval = (lastT - firstT) / 1000;
    const averageInterval = sampledInterval / (points.length - 1);
    if (result > 0 && firstV >= 0) {
      const durationToZero = sampledInterval * (firstV / result);
      if (durationToZero < durationToStart) durationToStart = durationToZero;
    }
    const threshold = averageInterval * 1.1;
    let extrapolateTo = sampledInterval;
    extrapolateTo += durationToStart < threshold ? durationToStart : averageInterval / 2;
    extrapolateTo += durationToEnd < threshold ? durationToEnd : averageInterval / 2;
    result *= extrapolateTo / sampledInterval;
    out.push({ labels, value: isRate ? result / (rangeMs / 1000) : result });
  }
  return out;
}

function histogramQuantile(q: number, samples: Sample[]): Sample[] {
  const groups = new Map<string, { labels: Record<string, string>; buckets: Array<[number, number]> }>();
  for (const sample of samples) {
    const { le, ...labels } = withoutName(sample.labels);
    if (le === undefined) continue;
    const k = labelSetKey(labels);
    const group = groups.get(k) ?? { labels, buckets: [] };
    group.buckets.push([le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), sample.value]);
    groups.set(k, group);
  }
  return [...groups.values()].map(({ labels, buckets }) => {
    buckets.sort((a, b) => a[0] - b[0]);
    const total = buckets.at(-1)?.[1] ?? 0;
    if (total === 0 || buckets.at(-1)?.[0] !== Number.POSITIVE_INFINITY) return { labels, value: Number.NaN };
    const rank = q * total;
    let lowerBound = 0;
    let lowerCount = 0;
    for (const [bound, count] of buckets) {
      if (count >= rank) {
        if (bound === Number.POSITIVE_INFINITY) return { labels, value: lowerBound };
        // Linear interpolation inside the bucket, as Prometheus does.
        const width = count - lowerCount;
        return {
          labels,
          value: lowerBound + (bound - lowerBound) * (width > 0 ? (rank - lowerCount) / width : 0),
        };
      }
      lowerBound = bound;
      lowerCount = count;
    }
    return { labels, value: Number.NaN };
  });
}

function evalAggregate(node: SyntaxNode, query: string, history: SnapshotHistory): Value {
  const op = text(node.getChild('AggregateOp') as SyntaxNode, query);
  const modifier = node.getChild('AggregateModifier');
  const grouping = modifier
    ? children(modifier.getChild('GroupingLabels') as SyntaxNode).map((n) => text(n, query))
    : [];
  const without = modifier ? text(modifier, query).trim().startsWith('without') : false;
  const body = children(node.getChild('FunctionCallBody') as SyntaxNode);
  const input = evalNode(body.at(-1) as SyntaxNode, query, history);
  if (input.kind !== 'vector') throw new QueryRejectedError(`${op}() needs an instant vector`);
  const groups = new Map<string, { labels: Record<string, string>; values: number[] }>();
  for (const sample of input.samples) {
    const base = withoutName(sample.labels);
    const labels = Object.fromEntries(
      Object.entries(base).filter(([k]) => (without ? !grouping.includes(k) : grouping.includes(k))),
    );
    const k = labelSetKey(labels);
    const group = groups.get(k) ?? { labels, values: [] };
    group.values.push(sample.value);
    groups.set(k, group);
  }
  const reduce: Record<string, (values: number[]) => number> = {
    sum: (v) => v.reduce((a, b) => a + b, 0),
    avg: (v) => v.reduce((a, b) => a + b, 0) / v.length,
    min: (v) => Math.min(...v),
    max: (v) => Math.max(...v),
    count: (v) => v.length,
  };
  const fn = reduce[op];
  if (!fn) throw new QueryRejectedError(`${SUPPORTED} (found ${op})`);
  return {
    kind: 'vector',
    samples: [...groups.values()].map((g) => ({ labels: g.labels, value: fn(g.values) })),
  };
}

function evalBinary(node: SyntaxNode, query: string, history: SnapshotHistory): Value {
  const parts = children(node);
  const lhs = evalNode(parts[0] as SyntaxNode, query, history);
  const rhs = evalNode(parts.at(-1) as SyntaxNode, query, history);
  if (parts.some((p) => p.name === 'Or')) {
    // `a or b`: every sample of a, plus the samples of b whose label set a lacks (PromQL set union),
    // as in `sum(...) or vector(0)` for a count that is zero before its first event.
    if (lhs.kind !== 'vector' || rhs.kind !== 'vector')
      throw new QueryRejectedError('"or" needs an instant vector on each side');
    const left = new Set(lhs.samples.map((s) => labelSetKey(withoutName(s.labels))));
    return {
      kind: 'vector',
      samples: [...lhs.samples, ...rhs.samples.filter((s) => !left.has(labelSetKey(withoutName(s.labels))))],
    };
  }
  const opNode = parts.find((p) => ['Add', 'Sub', 'Mul', 'Div'].includes(p.name));
  if (!opNode || parts.some((p) => p.name === 'MatchingModifierClause' || p.name === 'BoolModifier')) {
    throw new QueryRejectedError(`${SUPPORTED} (found ${text(node, query)})`);
  }
  const apply = {
    Add: (a: number, b: number) => a + b,
    Sub: (a: number, b: number) => a - b,
    Mul: (a: number, b: number) => a * b,
    Div: (a: number, b: number) => a / b,
  }[opNode.name as 'Add' | 'Sub' | 'Mul' | 'Div'];
  if (lhs.kind === 'scalar' && rhs.kind === 'scalar')
    return { kind: 'scalar', value: apply(lhs.value, rhs.value) };
  if (lhs.kind === 'scalar') return mapValues(rhs, (v) => apply(lhs.value, v));
  if (rhs.kind === 'scalar') return mapValues(lhs, (v) => apply(v, rhs.value));
  if (lhs.kind !== 'vector' || rhs.kind !== 'vector')
    throw new QueryRejectedError('arithmetic on a range is not valid PromQL');
  // One-to-one matching on identical label sets, the PromQL default.
  const right = new Map(rhs.samples.map((s) => [labelSetKey(withoutName(s.labels)), s.value]));
  const samples: Sample[] = [];
  for (const sample of lhs.samples) {
    const labels = withoutName(sample.labels);
    const other = right.get(labelSetKey(labels));
    if (other !== undefined) samples.push({ labels, value: apply(sample.value, other) });
  }
  return { kind: 'vector', samples };
}
