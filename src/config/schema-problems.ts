import type { z } from 'zod';
import type { ConfigProblem } from './errors.js';
import { type FieldPath, problemAt, type YamlDocument } from './yaml-document.js';

/**
 * Turns zod's issues into problems that name the file, line, field and what
 * would be valid, in words a user can act on.
 */
export function schemaProblems(
  error: z.ZodError,
  document: YamlDocument,
  prefix: FieldPath = [],
): ConfigProblem[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...(issue.path as Array<string | number>)];
    // Point at the unknown key itself, not at the map that holds it.
    if (issue.code === 'unrecognized_keys' && issue.keys.length === 1) path.push(issue.keys[0] as string);
    return problemAt(document, path, describeIssue(issue));
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}: remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling`;
    case 'invalid_type':
      return issue.input === undefined
        ? `is required (expected ${issue.expected})`
        : `must be ${article(issue.expected)} (got ${describeValue(issue.input)})`;
    case 'invalid_value':
      // A schema's own message (e.g. why only Occurrences) says more than the list of values.
      if (issue.message && !issue.message.startsWith('Invalid')) return issue.message;
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')} (got ${describeValue(issue.input)})`;
    case 'invalid_union':
      return issue.message && issue.message !== 'Invalid input'
        ? issue.message
        : 'does not match any allowed form';
    case 'invalid_format':
      return issue.message && !issue.message.startsWith('Invalid')
        ? issue.message
        : `must match ${'pattern' in issue ? String(issue.pattern) : 'the expected format'}`;
    default:
      return issue.message;
  }
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}
