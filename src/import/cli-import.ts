import { readFileSync, writeFileSync } from 'node:fs';
import { parseCommandArgs, UsageError } from '../cli/args.js';
import { ConfigurationError } from '../config/errors.js';
import { parseYamlDocuments, unreadableFile } from '../config/yaml-document.js';
import { importArgo } from './argo.js';
import { importFlagger } from './flagger.js';
import { renderImport } from './result.js';

export const importUsage = `glidepath import flagger|argo FILE [--prometheus-url URL] [--document N] [--out FILE]
  Turns a Flagger Canary (with its MetricTemplates) or an Argo Rollouts Rollout (with its AnalysisTemplates)
  into a glidepath rollout config; what could not be carried over is listed in comments at its top.
  --prometheus-url  the Prometheus the canary action queries (analysis.source), when the file names none
  --document N      picks the Nth Canary/Rollout when the file holds several
  --out FILE        write the config there instead of to stdout`;

const importers = { flagger: importFlagger, argo: importArgo } as const;

export async function importCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    { out: { type: 'string' }, document: { type: 'string' }, 'prometheus-url': { type: 'string' } },
    importUsage,
  );
  const [from, file, ...extra] = positionals;
  if (from !== 'flagger' && from !== 'argo') {
    throw new UsageError(
      `expected "flagger" or "argo" after "import", found ${from ? JSON.stringify(from) : 'nothing'}`,
      importUsage.split('\n')[0],
    );
  }
  if (!file || extra.length > 0) {
    throw new UsageError('expected one FILE to import', importUsage.split('\n')[0]);
  }
  const document = values.document === undefined ? undefined : Number(values.document);
  if (document !== undefined && (!Number.isInteger(document) || document < 1)) {
    throw new UsageError(
      `--document must be a whole number from 1, found ${JSON.stringify(values.document)}`,
    );
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e: unknown) {
    throw new ConfigurationError([unreadableFile(file, e)]);
  }
  const prometheusUrl = values['prometheus-url'];
  if (prometheusUrl !== undefined && !/^https?:\/\/[^\s{}]+$/.test(prometheusUrl)) {
    throw new UsageError(
      `--prometheus-url ${JSON.stringify(prometheusUrl)} must be an http(s) URL, e.g. https://prometheus.example:9090`,
    );
  }
  const result = importers[from](parseYamlDocuments(text, file), { document, prometheusUrl });
  const yaml = renderImport(result);
  if (values.out) {
    writeFileSync(values.out, yaml);
    console.error(
      `glidepath: wrote ${values.out} (${result.notes.length} notes on what was not carried over)`,
    );
  } else {
    process.stdout.write(yaml);
  }
  for (const item of result.required ?? []) {
    console.error(
      `glidepath import: required before the canary action accepts the config: ${item.field}: ${item.message}`,
    );
  }
  return 0;
}
