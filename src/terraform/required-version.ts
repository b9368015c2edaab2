import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SyntaxNode } from '@lezer/common';
import { hclLanguage } from 'codemirror-lang-hcl';
import { ConfigurationError } from '../config/errors.js';
import type { Tool } from './releases.js';

/**
 * The root module's `required_version` constraints, read with a real HCL
 * grammar (the Lezer grammar of HCL's native syntax, pure JavaScript, so the
 * bundle needs no wasm or native file beside it) and JSON.parse for the JSON
 * syntax. Terraform loads every `*.tf` and `*.tf.json` of the directory, and
 * OpenTofu also `*.tofu` / `*.tofu.json`, which replace a `.tf` file of the same
 * name (https://opentofu.org/docs/language/files/#the-tofu-file-extension);
 * every `required_version` in any `terraform` block must hold
 * (https://developer.hashicorp.com/terraform/language/terraform#required_version),
 * so the constraints are joined with commas.
 */
export interface RequiredVersion {
  constraint: string;
  /** Names of the files that declared it, for messages. */
  files: string[];
}

function configFiles(names: string[], tool: Tool): string[] {
  const tf = names.filter((n) => n.endsWith('.tf') || n.endsWith('.tf.json'));
  if (tool !== 'tofu') return tf.sort();
  const tofu = names.filter((n) => n.endsWith('.tofu') || n.endsWith('.tofu.json'));
  const replaced = new Set(tofu.map((n) => n.replace(/\.tofu(\.json)?$/, '.tf$1')));
  return [...tf.filter((n) => !replaced.has(n)), ...tofu].sort();
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

function childrenOf(node: SyntaxNode, name: string): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.name === name) found.push(child);
  }
  return found;
}

/** A quoted string with no interpolation: Terraform itself refuses anything else here. */
function literalString(expression: SyntaxNode, text: string): string | undefined {
  const literal = expression.getChild('LiteralValue')?.getChild('StringLit');
  if (!literal) return undefined;
  const body = literal.getChild('TemplateLiteral');
  const raw = body ? text.slice(body.from, body.to) : '';
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

/** Constraints of one native-syntax file; a syntax error is the user's, with its line. */
export function hclRequiredVersions(text: string, file: string): string[] {
  const tree = hclLanguage.parser.parse(text);
  let error: number | undefined;
  tree.iterate({
    enter(node) {
      if (error === undefined && node.type.isError) error = node.from;
    },
  });
  if (error !== undefined) {
    throw new ConfigurationError([
      {
        file,
        ...lineColumn(text, error),
        message:
          'is not valid HCL here: fix the syntax (`terraform validate` names the error) so the required_version can be read',
      },
    ]);
  }
  const constraints: string[] = [];
  const body = tree.topNode.getChild('Body');
  for (const block of body ? childrenOf(body, 'Block') : []) {
    const type = block.getChild('BlockType');
    if (!type || text.slice(type.from, type.to) !== 'terraform') continue;
    for (const attribute of childrenOf(block.getChild('Body') ?? block, 'Attribute')) {
      const name = attribute.getChild('Identifier');
      if (!name || text.slice(name.from, name.to) !== 'required_version') continue;
      const expression = attribute.getChild('Expression');
      const value = expression ? literalString(expression, text) : undefined;
      if (value === undefined) {
        throw new ConfigurationError([
          {
            file,
            ...lineColumn(text, attribute.from),
            field: 'terraform.required_version',
            message: 'must be a literal string such as ">= 1.5, < 2.0" (no variables or interpolation)',
          },
        ]);
      }
      constraints.push(value);
    }
  }
  return constraints;
}

/** Constraints of one JSON-syntax file: `{"terraform": {...} | [{...}]}`. */
export function jsonRequiredVersions(text: string, file: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e: unknown) {
    throw new ConfigurationError([
      { file, message: `is not valid JSON (${e instanceof Error ? e.message : String(e)})` },
    ]);
  }
  const terraform = (doc as { terraform?: unknown } | null)?.terraform;
  const blocks = Array.isArray(terraform) ? terraform : terraform ? [terraform] : [];
  const constraints: string[] = [];
  for (const block of blocks) {
    const value = (block as { required_version?: unknown } | null)?.required_version;
    if (value === undefined) continue;
    if (typeof value !== 'string')
      throw new ConfigurationError([
        { file, field: 'terraform.required_version', message: 'must be a string such as ">= 1.5"' },
      ]);
    constraints.push(value);
  }
  return constraints;
}

/** Every `required_version` of the root module in `directory`, or undefined when none is set. */
export async function readRequiredVersion(
  directory: string,
  tool: Tool,
): Promise<RequiredVersion | undefined> {
  const names = configFiles(await readdir(directory), tool);
  const constraints: string[] = [];
  const files: string[] = [];
  for (const name of names) {
    const path = join(directory, name);
    const text = await readFile(path, 'utf8');
    const found = name.endsWith('.json') ? jsonRequiredVersions(text, path) : hclRequiredVersions(text, path);
    if (found.length > 0) {
      constraints.push(...found);
      files.push(name);
    }
  }
  if (constraints.length === 0) return undefined;
  return { constraint: constraints.join(', '), files };
}
