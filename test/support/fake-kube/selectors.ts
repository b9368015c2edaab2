import { badRequest } from './status.js';
import type { KubeObject } from './types.js';

type Test = (labels: Record<string, string>) => boolean;

/** Kubernetes label selector syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`. */
export function parseLabelSelector(selector: string): Test {
  const tests: Test[] = [];
  // Split on commas that are not inside parentheses.
  const parts = selector
    .split(/,(?![^(]*\))/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const part of parts) {
    const setMatch = part.match(/^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/);
    const equality = part.match(/^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/);
    const absent = part.match(/^!([\w./-]+)$/);
    const present = part.match(/^([\w./-]+)$/);
    if (setMatch) {
      const [, key = '', op, list = ''] = setMatch;
      const values = list.split(',').map((v) => v.trim());
      tests.push(
        op === 'in'
          ? (l) => values.includes(l[key] ?? '\u0000')
          : (l) => !values.includes(l[key] ?? '\u0000'),
      );
    } else if (equality) {
      const [, key = '', op, value] = equality;
      tests.push(op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value);
    } else if (absent) {
      const key = absent[1] ?? '';
      tests.push((l) => !(key in l));
    } else if (present) {
      const key = present[1] ?? '';
      tests.push((l) => key in l);
    } else {
      throw badRequest(`unable to parse requirement: ${JSON.stringify(part)}`);
    }
  }
  return (labels) => tests.every((t) => t(labels));
}

/** Only `metadata.name` and `metadata.namespace`, the field selectors every kind supports. */
export function parseFieldSelector(selector: string): (obj: KubeObject) => boolean {
  const tests = selector
    .split(',')
    .filter((p) => p.trim() !== '')
    .map((part) => {
      const m = part.trim().match(/^(metadata\.name|metadata\.namespace)\s*(==|=|!=)\s*(.*)$/);
      if (!m) throw badRequest(`field label not supported: ${part.split(/[=!]/)[0] ?? part}`);
      const [, field, op, value] = m;
      const read = (o: KubeObject) => (field === 'metadata.name' ? o.metadata.name : o.metadata.namespace);
      return op === '!=' ? (o: KubeObject) => read(o) !== value : (o: KubeObject) => read(o) === value;
    });
  return (obj) => tests.every((t) => t(obj));
}
