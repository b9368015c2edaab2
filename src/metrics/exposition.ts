import type { Sample } from './source.js';

/**
 * Reads the Prometheus text exposition format (version 0.0.4, which
 * prom-client and most exporters serve). Each sample carries its metric name
 * as the `__name__` label, as in PromQL.
 */
export function parseExposition(text: string, extraLabels: Record<string, string> = {}): Sample[] {
  const samples: Sample[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const nameEnd = line.search(/[{\s]/);
    const name = nameEnd < 0 ? line : line.slice(0, nameEnd);
    let rest = nameEnd < 0 ? '' : line.slice(nameEnd);
    const labels: Record<string, string> = { ...extraLabels };
    if (rest.startsWith('{')) {
      const end = readLabels(rest, labels);
      rest = rest.slice(end);
    }
    const [valueText] = rest.trim().split(/\s+/);
    if (!valueText) throw new Error(`malformed metrics line (no value): ${line.slice(0, 120)}`);
    samples.push({ labels: { ...labels, __name__: name }, value: parseValue(valueText) });
  }
  return samples;
}

/** Reads `{a="x",b="y\"z"}` into labels; returns the index just past the closing brace. */
function readLabels(text: string, labels: Record<string, string>): number {
  let i = 1;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (text[i] === '}') return i + 1;
    const eq = text.indexOf('=', i);
    const key = text.slice(i, eq).trim();
    i = eq + 1;
    if (text[i] !== '"') throw new Error(`malformed label value for ${key}`);
    i++;
    let value = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        const next = text[i + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        i += 2;
      } else {
        value += text[i];
        i++;
      }
    }
    labels[key] = value;
    i++;
  }
  throw new Error('malformed labels: no closing brace');
}

function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error(`malformed sample value "${text}"`);
  return value;
}
