import { parser } from '@prometheus-io/lezer-promql';
import { type ConfigProblem, ConfigurationError } from './errors.js';

export type TemplateValues = Readonly<Record<string, string>>;

type Context = 'bare' | '"' | "'" | '`';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/y;
/** Outside quotes a value may only be a name, a number or a duration: nothing that can open new syntax. */
const BARE_SAFE = /^[A-Za-z0-9_:.]+$/;
// RE2 metacharacters: a value put into a =~ matcher must match itself only.
const REGEX_META = /[\\.+*?()|[\]{}^$]/g;

/**
 * Puts template values into a PromQL query so that no value can change what
 * the query means: inside a quoted label value it is escaped (and, after
 * `=~`/`!~`, regex-escaped), outside quotes only plain names and numbers are
 * accepted. The result is then parsed with the official PromQL grammar, and
 * its syntax tree must have the same shape as the template's.
 */
export function renderQuery(
  template: string,
  values: TemplateValues,
  where: Omit<ConfigProblem, 'message'> = {},
): string {
  const fail = (message: string) => new ConfigurationError([{ ...where, message }]);
  let rendered = '';
  let skeleton = '';
  let context: Context = 'bare';
  let regexString = false;
  let inComment = false;

  for (let i = 0; i < template.length; ) {
    PLACEHOLDER.lastIndex = i;
    const placeholder = PLACEHOLDER.exec(template);
    if (placeholder) {
      const name = placeholder[1] as string;
      const value = values[name];
      if (value === undefined) {
        throw fail(
          `unknown template variable {{${name}}}: known are ${
            Object.keys(values)
              .map((k) => `{{${k}}}`)
              .join(', ') || 'none'
          }; add it under vars`,
        );
      }
      if (!inComment) {
        const text = insert(name, value, context, regexString, fail);
        rendered += text;
        skeleton += context === 'bare' ? text : '';
      }
      i += placeholder[0].length;
      continue;
    }
    const char = template[i] as string;
    if (inComment) {
      if (char === '\n') inComment = false;
    } else if (context === 'bare') {
      if (char === '#') inComment = true;
      else if (char === '"' || char === "'" || char === '`') {
        context = char;
        regexString = /[=!]~\s*$/.test(template.slice(0, i));
      }
    } else if (char === '\\' && context !== '`') {
      rendered += char + (template[i + 1] ?? '');
      skeleton += char + (template[i + 1] ?? '');
      i += 2;
      continue;
    } else if (char === context) {
      context = 'bare';
    }
    rendered += char;
    skeleton += char;
    i++;
  }

  const errorAt = firstSyntaxError(rendered);
  if (errorAt !== undefined) {
    const near = rendered.slice(Math.max(0, errorAt - 15), errorAt + 15).replace(/\n/g, ' ');
    throw fail(`is not valid PromQL: syntax error at character ${errorAt + 1}, near "${near}"`);
  }
  if (treeShape(rendered) !== treeShape(skeleton)) {
    throw fail(
      'a template value changes the structure of the query; values may only fill label values, names and durations',
    );
  }
  return rendered;
}

function insert(
  name: string,
  value: string,
  context: Context,
  regex: boolean,
  fail: (message: string) => ConfigurationError,
): string {
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(value)) {
    throw fail(`the value of {{${name}}} holds control characters, which cannot be escaped in a query`);
  }
  if (context === 'bare') {
    if (!BARE_SAFE.test(value)) {
      throw fail(
        `the value of {{${name}}} (${JSON.stringify(value)}) cannot stand outside quotes: only letters, digits, "_", ":" and "." can; put the placeholder inside a quoted label value, e.g. app="{{${name}}}"`,
      );
    }
    return value;
  }
  // A value that would close its quotes if pasted in raw is an injection
  // attempt or a mistake, never a real service name: refuse it outright
  // rather than rely on escaping alone.
  const closer = [context, '\\', '\n'].find((c) => value.includes(c));
  if (closer) {
    throw fail(
      `the value of {{${name}}} (${JSON.stringify(value)}) contains ${JSON.stringify(closer)}, which would end the quoted label value and change the query's structure; use a plain value`,
    );
  }
  if (!regex) return value;
  const pattern = value.replace(REGEX_META, '\\$&');
  // In a quoted string the regex's own backslashes must be escaped once more ("\\." is the regex \.).
  return context === '`' ? pattern : pattern.replace(/\\/g, '\\\\');
}

/** Offset of the first syntax error in a PromQL expression, or undefined when it parses. */
export function firstSyntaxError(query: string): number | undefined {
  if (query.trim() === '') return 0;
  let at: number | undefined;
  parser.parse(query).iterate({
    enter(node) {
      if (at !== undefined) return false;
      if (node.type.isError) at = node.from;
      return undefined;
    },
  });
  return at;
}

function treeShape(query: string): string {
  const names: string[] = [];
  parser.parse(query).iterate({
    enter(node) {
      names.push(node.type.name);
    },
  });
  return names.join(' ');
}
