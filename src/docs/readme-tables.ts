import { parse } from 'yaml';

interface Field {
  description?: string;
  required?: boolean;
  default?: unknown;
  type?: string;
}

const BLOCK = /<!-- table: ([^\s]+) -->\n[\s\S]*?<!-- \/table -->/g;

/**
 * Replaces each `<!-- table: FILE -->…<!-- /table -->` block with the
 * inputs/outputs tables of that action.yml or reusable workflow, so the
 * README never drifts from the files users call.
 */
export function renderReadmeTables(readme: string, read: (file: string) => string): string {
  return readme.replace(
    BLOCK,
    (_block, file: string) => `<!-- table: ${file} -->\n${tablesFor(read(file))}<!-- /table -->`,
  );
}

function tablesFor(text: string): string {
  const doc = parse(text) as {
    inputs?: Record<string, Field>;
    outputs?: Record<string, Field>;
    on?: {
      workflow_call?: {
        inputs?: Record<string, Field>;
        outputs?: Record<string, Field>;
        secrets?: Record<string, Field>;
      };
    };
  };
  const call = doc.on?.workflow_call;
  const inputs = call ? call.inputs : doc.inputs;
  const outputs = call ? call.outputs : doc.outputs;
  let out = '';
  if (inputs && Object.keys(inputs).length > 0) {
    out += '| Input | Required | Default | Description |\n| --- | --- | --- | --- |\n';
    for (const [name, field] of Object.entries(inputs)) {
      const fallback =
        field.default === undefined || field.default === ''
          ? ''
          : `\`${String(field.default).replace(/\n/g, ' ')}\``;
      out += `| \`${name}\` | ${field.required ? 'yes' : 'no'} | ${fallback} | ${cell(field.description)} |\n`;
    }
    out += '\n';
  }
  if (call?.secrets && Object.keys(call.secrets).length > 0) {
    out += '| Secret | Required | Description |\n| --- | --- | --- |\n';
    for (const [name, field] of Object.entries(call.secrets)) {
      out += `| \`${name}\` | ${field.required ? 'yes' : 'no'} | ${cell(field.description)} |\n`;
    }
    out += '\n';
  }
  if (outputs && Object.keys(outputs).length > 0) {
    out += '| Output | Description |\n| --- | --- |\n';
    for (const [name, field] of Object.entries(outputs))
      out += `| \`${name}\` | ${cell(field.description)} |\n`;
    out += '\n';
  }
  return out;
}

function cell(text: string | undefined): string {
  return (text ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}
