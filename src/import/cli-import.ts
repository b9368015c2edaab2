import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigurationError } from '../config/errors.js';
import { parseYamlDocuments } from '../config/yaml-document.js';
import { importArgo } from './argo.js';
import { importFlagger } from './flagger.js';
import { renderImport } from './result.js';

export const importUsage = `glidepath import flagger|argo FILE [--document N] [--out FILE]
  Turns a Flagger Canary (with its MetricTemplates) or an Argo Rollouts Rollout (with its AnalysisTemplates)
  into a glidepath rollout config; what could not be carried over is listed in comments at its top.
  --document N picks the Nth Canary/Rollout when the file holds several.`;

const importers = { flagger: importFlagger, argo: importArgo } as const;

export async function importCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: 'string' }, document: { type: 'string' } },
  });
  const [from, file, ...extra] = positionals;
  if (from !== 'flagger' && from !== 'argo') {
    throw new ConfigurationError(
      `expected "flagger" or "argo" after "import", found ${from ? JSON.stringify(from) : 'nothing'}; usage: ${importUsage.split('\n')[0]}`,
    );
  }
  if (!file || extra.length > 0) {
    throw new ConfigurationError(`expected one FILE to import; usage: ${importUsage.split('\n')[0]}`);
  }
  const document = values.document === undefined ? undefined : Number(values.document);
  if (document !== undefined && (!Number.isInteger(document) || document < 1)) {
    throw new ConfigurationError(
      `--document must be a whole number from 1, found ${JSON.stringify(values.document)}`,
    );
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e: unknown) {
    throw new ConfigurationError([
      {
        file,
        message: `cannot read the file (${e instanceof Error ? e.message : String(e)}); check the path`,
      },
    ]);
  }
  const result = importers[from](parseYamlDocuments(text, file), { document });
  const yaml = renderImport(result);
  if (values.out) {
    writeFileSync(values.out, yaml);
    console.error(
      `glidepath: wrote ${values.out} (${result.notes.length} notes on what was not carried over)`,
    );
  } else {
    process.stdout.write(yaml);
  }
  return 0;
}
