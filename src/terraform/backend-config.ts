import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { SyntaxNode } from '@lezer/common';
import { hclLanguage } from 'codemirror-lang-hcl';

/**
 * The values of `-backend-config` settings, to be masked before anything
 * runs: backends take credentials this way (access keys, SAS tokens, client
 * secrets), and `terraform init` echoes its command line. Each entry is
 * either `key=value` or the path of a file of HCL attributes, relative to the
 * root module as Terraform reads it
 * (https://developer.hashicorp.com/terraform/language/backend#partial-configuration).
 * Booleans and values shorter than four characters are not masked: no
 * backend credential is that short, and masking "true" or "1" would blank
 * those words across the whole log.
 */
export async function backendConfigSecrets(entries: string[], moduleDir: string): Promise<string[]> {
  const values: string[] = [];
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq > 0 && !/[\\/]/.test(entry.slice(0, eq))) {
      values.push(entry.slice(eq + 1).trim());
      continue;
    }
    let text: string;
    try {
      text = await readFile(isAbsolute(entry) ? entry : resolve(moduleDir, entry), 'utf8');
    } catch {
      // Terraform reports the missing file itself; the path is no secret.
      continue;
    }
    values.push(...fileValues(text));
  }
  return [...new Set(values.map((v) => v.trim()))].filter(
    (v) => v.length >= 4 && v !== 'true' && v !== 'false',
  );
}

/** Every literal in an HCL attribute file: strings (quoted or heredoc), numbers, and each line as written. */
function fileValues(text: string): string[] {
  const values: string[] = [];
  const tree = hclLanguage.parser.parse(text);
  tree.iterate({
    enter(node) {
      if (node.name === 'TemplateLiteral' || node.name === 'NumericLit') {
        values.push(text.slice(node.from, node.to));
      }
      if (node.name === 'Attribute') {
        const expression = (node.node as SyntaxNode).getChild('Expression');
        if (expression) values.push(text.slice(expression.from, expression.to).replace(/^"|"$/g, ''));
      }
    },
  });
  // A file the grammar cannot read is still masked line by line, as `key = value`.
  for (const line of text.split('\n')) {
    const m = /^\s*[\w.-]+\s*=\s*(.+?)\s*$/.exec(line);
    if (m?.[1]) values.push(m[1].replace(/^"(.*)"$/, '$1'));
  }
  return values.flatMap((v) => v.split('\n')).filter((v) => v.trim() !== '');
}
