import { formatDuration, parseDuration } from '../config/duration.js';
import type { SourceConfig } from '../config/source.js';
import type { YamlDocument } from '../config/yaml-document.js';
import { type AnalysisRef, checksOf } from './argo-analysis.js';
import { chooseRouter } from './argo-router.js';
import { errorRateCheck } from './builtin-checks.js';
import { chooseDocument, documentsOfKind, failAt, isRecord, type SourceDocument } from './documents.js';
import {
  finishImport,
  type ImportNote,
  type ImportOptions,
  type ImportResult,
  type Note,
  type RolloutConfigInput,
} from './result.js';

/** Canary fields that size or label ReplicaSets, which glidepath does with its own two Deployments. */
const REPLICA_FIELDS = [
  'canaryService',
  'stableService',
  'maxSurge',
  'maxUnavailable',
  'dynamicStableScale',
  'antiAffinity',
  'scaleDownDelaySeconds',
  'scaleDownDelayRevisionLimit',
  'abortScaleDownDelaySeconds',
  'canaryMetadata',
  'stableMetadata',
  'pingPong',
  'minPodsPerReplicaSet',
];

/**
 * An Argo Rollouts `Rollout` (argoproj.io/v1alpha1) with a canary strategy,
 * and the `AnalysisTemplate`/`ClusterAnalysisTemplate`s of the same file, as
 * a glidepath rollout config; what does not carry over is named in the notes.
 */
export function importArgo(documents: YamlDocument[], options: ImportOptions = {}): ImportResult {
  const file = documents[0]?.file ?? '';
  const rollout = chooseDocument(
    documentsOfKind(documents, 'argoproj.io', ['Rollout']),
    file,
    'Argo Rollouts Rollout',
    options.document,
  );
  const templates = documentsOfKind(documents, 'argoproj.io', [
    'AnalysisTemplate',
    'ClusterAnalysisTemplate',
  ]);
  const doc = rollout.document;
  const notes: ImportNote[] = [];
  const note: Note = (field, message) => notes.push({ field, message });

  const strategy = isRecord(rollout.spec.strategy) ? rollout.spec.strategy : {};
  if (!isRecord(strategy.canary)) {
    throw failAt(
      doc,
      ['spec', 'strategy'],
      strategy.blueGreen !== undefined
        ? 'this Rollout uses the blueGreen strategy; glidepath shifts traffic by canary weights only: rewrite it as strategy.canary with setWeight steps to import it'
        : 'spec.strategy.canary is required: the canary steps to import',
    );
  }
  const canary = strategy.canary;
  const name = rollout.name;
  if (!name)
    throw failAt(doc, ['metadata', 'name'], 'metadata.name is required: it becomes the service name');
  const namespace = rollout.namespace ?? 'default';
  if (!rollout.namespace) note('metadata.namespace', 'absent; "default" assumed, as kubectl would');

  const service = workloadOf(rollout, name, note);
  const { router, flavour } = chooseRouter(rollout, canary, service, note);
  const refs: AnalysisRef[] = [];
  const { steps, interval } = stepsOf(doc, canary, refs, note);
  const config: RolloutConfigInput = { service, namespace, router, steps };
  if (interval) config.interval = interval;
  if (typeof rollout.spec.progressDeadlineSeconds === 'number') {
    config.readyTimeout = formatDuration(rollout.spec.progressDeadlineSeconds * 1000);
  }
  if (isRecord(canary.analysis)) {
    refs.push({
      field: 'spec.strategy.canary.analysis',
      templates: canary.analysis.templates,
      args: canary.analysis.args,
    });
    note(
      'spec.strategy.canary.analysis',
      'background analysis: glidepath judges its checks at every step instead (startingStep is not carried over)',
    );
  }
  for (const key of REPLICA_FIELDS) {
    if (canary[key] !== undefined) {
      note(
        `spec.strategy.canary.${key}`,
        'not carried over: glidepath runs the canary as the Deployment <service>-canary beside <service>-primary and routes by weight',
      );
    }
  }

  const vars: Record<string, string> = {};
  const sources: SourceConfig[] = [];
  const checks = refs.flatMap((ref) => checksOf(ref, templates, rollout.namespace, vars, sources, note));
  if (checks.length === 0) {
    if (!flavour) {
      throw failAt(
        doc,
        ['spec', 'strategy', 'canary'],
        'no analysis could be carried over and glidepath has no built-in checks for this router: a canary needs analysis; add an AnalysisTemplate with a Prometheus query to the file',
      );
    }
    checks.push({ ...errorRateCheck(flavour), max: 0.01 });
    note(
      'spec.strategy.canary',
      `no analysis carried over: Argo would advance on pauses alone, glidepath needs analysis, so a built-in error-rate check (max 1 %, ${flavour} metrics) was added; review it`,
    );
  }
  config.analysis = { ...(sources[0] ? { source: sources[0] } : {}), checks };
  if (Object.keys(vars).length > 0) config.vars = vars;

  const line = doc.positionOf([])?.line;
  return finishImport(
    {
      config,
      notes,
      source: `Argo Rollouts Rollout ${name} (${doc.file}${line ? `:${line}` : ''})`,
      origin: { file: doc.file, line },
    },
    options,
  );
}

/**
 * The Deployment glidepath rolls out. A Rollout either holds its own pod
 * template or names an existing workload with `workloadRef` (Argo Rollouts,
 * "Migrating to Rollouts": apiVersion, kind, name, scaleDown). glidepath
 * rolls out Deployments, found in the manifest by the config's `service`, so
 * a referenced Deployment's name becomes the service and any other kind is
 * refused rather than turned into a Deployment named after the Rollout.
 */
function workloadOf(rollout: SourceDocument, name: string, note: Note): string {
  const ref = rollout.spec.workloadRef;
  if (ref === undefined) {
    note(
      'spec.template',
      `glidepath rolls out a Deployment named "${name}" from your manifest: turn this Rollout back into that Deployment (apiVersion apps/v1, kind Deployment, no strategy.canary)`,
    );
    return name;
  }
  const at = ['spec', 'workloadRef'];
  if (!isRecord(ref) || typeof ref.name !== 'string' || ref.name === '') {
    throw failAt(
      rollout.document,
      at,
      'workloadRef needs name (and kind: Deployment): the Deployment to roll out',
    );
  }
  const kind = ref.kind ?? 'Deployment';
  if (kind !== 'Deployment') {
    throw failAt(
      rollout.document,
      [...at, 'kind'],
      `glidepath rolls out Deployments only, and this Rollout references the ${String(kind)} "${ref.name}": it cannot be imported; roll it out as a Deployment, or keep Argo Rollouts for it`,
    );
  }
  if (typeof ref.apiVersion === 'string' && ref.apiVersion !== 'apps/v1') {
    throw failAt(
      rollout.document,
      [...at, 'apiVersion'],
      `must be apps/v1 for a Deployment, found ${JSON.stringify(ref.apiVersion)}`,
    );
  }
  if (ref.scaleDown !== undefined) {
    note(
      'spec.workloadRef.scaleDown',
      `not carried over: glidepath keeps your Deployment "${ref.name}" as the template of ${ref.name}-primary and ${ref.name}-canary`,
    );
  }
  if (ref.name !== name) {
    note(
      'spec.workloadRef.name',
      `the Deployment "${ref.name}" becomes service ${ref.name} (glidepath names its Deployments and Lease after it), not the Rollout's name "${name}"`,
    );
  }
  return ref.name;
}

function stepsOf(
  doc: YamlDocument,
  canary: Record<string, unknown>,
  refs: AnalysisRef[],
  note: Note,
): { steps: number[]; interval?: string } {
  const list = Array.isArray(canary.steps) ? canary.steps : [];
  const steps: number[] = [];
  const pauses: number[] = [];
  list.forEach((step, i) => {
    const field = `spec.strategy.canary.steps[${i}]`;
    if (!isRecord(step)) return;
    if (typeof step.setWeight === 'number') {
      const last = steps[steps.length - 1] ?? 0;
      if (!Number.isInteger(step.setWeight) || step.setWeight < 1 || step.setWeight > 100) {
        throw failAt(
          doc,
          ['spec', 'strategy', 'canary', 'steps', i, 'setWeight'],
          `must be a whole percentage 1..100, found ${step.setWeight}`,
        );
      }
      if (step.setWeight <= last)
        note(field, `setWeight ${step.setWeight} not carried over: glidepath steps only rise`);
      else steps.push(step.setWeight);
    } else if (isRecord(step.pause)) {
      const duration = step.pause.duration;
      const ms =
        typeof duration === 'number'
          ? duration * 1000
          : typeof duration === 'string'
            ? parseDuration(/^\d+$/.test(duration) ? `${duration}s` : duration)
            : undefined;
      if (duration === undefined) {
        note(
          field,
          'an indefinite pause (manual promotion) not carried over: glidepath judges each step by its checks after the interval',
        );
      } else if (ms === undefined) {
        throw failAt(
          doc,
          ['spec', 'strategy', 'canary', 'steps', i, 'pause', 'duration'],
          `must be a duration such as 30s or 10m, found ${JSON.stringify(duration)}`,
        );
      } else {
        pauses.push(ms);
      }
    } else if (isRecord(step.analysis)) {
      refs.push({ field, templates: step.analysis.templates, args: step.analysis.args });
      note(field, 'an analysis step: glidepath judges its checks at every step, not only here');
    } else {
      const kind = Object.keys(step)[0] ?? 'empty';
      note(field, `a ${kind} step not carried over: glidepath steps set a canary weight, soak and analyse`);
    }
  });
  if (steps.length === 0) {
    throw failAt(
      doc,
      ['spec', 'strategy', 'canary', 'steps'],
      'no setWeight step: glidepath needs the canary weights to step through, e.g. setWeight 5, 10, 25, 50',
    );
  }
  if (pauses.length === 0) {
    note(
      'spec.strategy.canary.steps',
      "no timed pause: each step soaks for glidepath's default interval (2m)",
    );
    return { steps };
  }
  const longest = Math.max(...pauses);
  if (pauses.some((p) => p !== longest)) {
    note(
      'spec.strategy.canary.steps',
      `pauses of ${pauses.map(formatDuration).join(', ')}: glidepath soaks every step for one interval, the longest (${formatDuration(longest)})`,
    );
  }
  return { steps, interval: formatDuration(longest) };
}
