import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { clusterRequirementProblems } from '../config/cluster-requirements.js';
import { type ConfigProblem, ConfigurationError, formatProblem } from '../config/errors.js';
import { loadGateTexts } from '../config/load-gates.js';
import { loadRolloutText } from '../config/load-rollout.js';
import { parseYamlDocuments, unreadableFile } from '../config/yaml-document.js';
import { loadServices } from '../images/detect.js';
import { MANIFEST_FILE } from '../images/services.js';
import { parseCommandArgs, UsageError } from './args.js';
import { EXIT } from './exit-codes.js';

export const validateUsage = `glidepath validate FILE... [--quiet]
  Checks rollout configs, Gate and OpenSLO files and the services manifest (${MANIFEST_FILE}) offline:
  no cluster, no Prometheus. Every problem of every file is listed at once as FILE:LINE:COLUMN: field: problem and fix.
  --quiet  print problems only
  Exit code 0 valid, 3 problems found, 64 usage error.`;

type FileKind = 'rollout' | 'gate' | 'services' | { problem: ConfigProblem };

/** What a file is, from its name and its first document; validate never guesses past that. */
export function classify(file: string, text: string): FileKind {
  if (basename(file) === MANIFEST_FILE) return 'services';
  let value: unknown;
  try {
    value = parseYamlDocuments(text, file)[0]?.value;
  } catch {
    // Syntax errors are reported by the loader of the kind the name suggests.
    return /slo|gate/i.test(basename(file)) ? 'gate' : 'rollout';
  }
  const first = Array.isArray(value) ? value[0] : value;
  const { apiVersion, kind } = (typeof first === 'object' && first !== null ? first : {}) as Record<
    string,
    unknown
  >;
  if (typeof apiVersion === 'string' && apiVersion.startsWith('openslo/')) return 'gate';
  if (apiVersion === 'glidepath.dev/v1' && kind === 'Gate') return 'gate';
  if (apiVersion === 'glidepath.dev/v1' && kind === 'Rollout') return 'rollout';
  if (typeof first === 'object' && first !== null && 'services' in first && !('router' in first))
    return 'services';
  if (typeof apiVersion === 'string' && /^(flagger\.app|argoproj\.io)\//.test(apiVersion)) {
    const from = apiVersion.startsWith('flagger') ? 'flagger' : 'argo';
    return {
      problem: {
        file,
        message: `is a ${String(kind)} of ${apiVersion.split('/')[0]}, not a glidepath file: turn it into a rollout config with glidepath import ${from} ${file}`,
      },
    };
  }
  if (typeof first === 'object' && first !== null && ('router' in first || 'service' in first))
    return 'rollout';
  return {
    problem: {
      file,
      message: `is not a file glidepath reads: expected a rollout config (service, router, steps), a glidepath.dev/v1 Gate, OpenSLO (openslo/v1) or ${MANIFEST_FILE}`,
    },
  };
}

/** Every problem of every file, without a cluster or a metrics server. */
export function validateFiles(files: string[]): {
  problems: ConfigProblem[];
  notices: ConfigProblem[];
  checked: Array<{ file: string; kind: string }>;
} {
  const problems: ConfigProblem[] = [];
  const notices: ConfigProblem[] = [];
  const checked: Array<{ file: string; kind: string }> = [];
  const gates: Array<{ file: string; text: string }> = [];
  const collect = (fn: () => void) => {
    try {
      fn();
    } catch (e: unknown) {
      if (!(e instanceof ConfigurationError)) throw e;
      problems.push(...e.problems);
    }
  };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e: unknown) {
      problems.push(unreadableFile(file, e));
      continue;
    }
    const kind = classify(file, text);
    if (typeof kind !== 'string') {
      problems.push(kind.problem);
      continue;
    }
    checked.push({ file, kind });
    if (kind === 'gate') gates.push({ file, text });
    else if (kind === 'services') collect(() => loadServices(dirname(file), basename(file), true));
    else
      collect(() => {
        const spec = loadRolloutText(text, file);
        const document = parseYamlDocuments(text, file)[0];
        const line = (path: Array<string | number>) => document?.positionOf(path)?.line;
        if (spec.config.router.provider === 'local') {
          notices.push({
            file,
            line: line(['router']),
            field: 'router.provider',
            message: 'local: a playground config; the canary action needs istio, gateway-api or smi',
          });
          return;
        }
        problems.push(...clusterRequirementProblems(spec.config, { file, line }));
      });
  }
  // Gate and OpenSLO files are read together: an SLO may name an SLI or DataSource of another file.
  if (gates.length > 0) collect(() => void loadGateTexts(gates, { notice: (n) => notices.push(n) }));
  return { problems, notices, checked };
}

export async function validateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { quiet: { type: 'boolean' } }, validateUsage);
  if (positionals.length === 0) {
    throw new UsageError('needs at least one FILE to check', validateUsage.split('\n')[0]);
  }
  const { problems, notices, checked } = validateFiles(positionals);
  for (const notice of notices) console.error(`notice: ${formatProblem(notice)}`);
  for (const problem of problems) console.error(`error: ${formatProblem(problem)}`);
  const bad = new Set(problems.map((p) => p.file));
  if (!values.quiet) {
    for (const { file, kind } of checked)
      if (!bad.has(file))
        console.log(
          `ok: ${file} (${kind === 'gate' ? 'Gate/OpenSLO' : kind === 'services' ? 'services manifest' : 'rollout config'})`,
        );
  }
  if (problems.length > 0) {
    console.error(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${bad.size} file${bad.size === 1 ? '' : 's'}`,
    );
    return EXIT.invalid;
  }
  return EXIT.ok;
}
