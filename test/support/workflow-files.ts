import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from './shared-fixtures.js';

/** A step or a job-level reusable-workflow call, with where it sits. */
export interface UsesSite {
  file: string;
  where: string;
  uses: string;
  with: Record<string, unknown>;
  secrets?: Record<string, unknown> | 'inherit';
}

export interface RunSite {
  file: string;
  where: string;
  run: string;
}

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}

interface Job {
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: Record<string, unknown> | 'inherit';
  steps?: Step[];
  permissions?: unknown;
}

export interface WorkflowDoc {
  on?: {
    workflow_call?: {
      inputs?: Record<string, { required?: boolean; default?: unknown }>;
      secrets?: Record<string, { required?: boolean }>;
      outputs?: Record<string, unknown>;
    };
    workflow_dispatch?: { inputs?: Record<string, unknown> } | null;
  };
  permissions?: unknown;
  jobs?: Record<string, Job>;
}

export interface ActionDoc {
  inputs?: Record<string, { required?: boolean; default?: unknown }>;
  runs?: { using?: string; steps?: Step[] };
}

const list = (dir: string): string[] =>
  existsSync(join(repoRoot, dir))
    ? readdirSync(join(repoRoot, dir))
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => `${dir}/${f}`)
    : [];

/** The reusable workflows and this repository's own CI. */
export const repoWorkflows = list('.github/workflows');
/** The caller templates that team and platform repositories copy. */
export const callerTemplates = list('workflows');
/** action.yml files: the root canary action (once it exists) and actions/<name>/. */
export const actionFiles = [
  ...(existsSync(join(repoRoot, 'action.yml')) ? ['action.yml'] : []),
  ...readdirSync(join(repoRoot, 'actions'))
    .map((name) => `actions/${name}/action.yml`)
    .filter((file) => existsSync(join(repoRoot, file))),
];

export function readYaml<T>(file: string): T {
  return parse(readFileSync(join(repoRoot, file), 'utf8')) as T;
}

function stepName(step: Step, index: number): string {
  return step.id ?? step.name ?? `step ${index + 1}`;
}

export function usesSites(file: string): UsesSite[] {
  const sites: UsesSite[] = [];
  const doc = readYaml<WorkflowDoc & ActionDoc>(file);
  const addSteps = (steps: Step[] | undefined, prefix: string) =>
    (steps ?? []).forEach((step, i) => {
      if (step.uses)
        sites.push({ file, where: `${prefix}${stepName(step, i)}`, uses: step.uses, with: step.with ?? {} });
    });
  for (const [id, job] of Object.entries(doc.jobs ?? {})) {
    if (job.uses)
      sites.push({ file, where: `jobs.${id}`, uses: job.uses, with: job.with ?? {}, secrets: job.secrets });
    addSteps(job.steps, `jobs.${id} > `);
  }
  addSteps(doc.runs?.steps, 'runs > ');
  return sites;
}

export function runSites(file: string): RunSite[] {
  const doc = readYaml<WorkflowDoc & ActionDoc>(file);
  const sites: RunSite[] = [];
  const addSteps = (steps: Step[] | undefined, prefix: string) =>
    (steps ?? []).forEach((step, i) => {
      if (typeof step.run === 'string')
        sites.push({ file, where: `${prefix}${stepName(step, i)}`, run: step.run });
    });
  for (const [id, job] of Object.entries(doc.jobs ?? {})) addSteps(job.steps, `jobs.${id} > `);
  addSteps(doc.runs?.steps, 'runs > ');
  return sites;
}

/** What a `uses:` of this repository points at, or undefined for a third-party reference. */
export type LocalTarget = { kind: 'action' | 'workflow'; file: string };

const OWN_REPO = /^[\w.-]+\/glidepath(?:\/(.+))?@[^@]+$/;

export function localTarget(uses: string): LocalTarget | undefined {
  let path: string | undefined;
  if (uses.startsWith('./')) {
    // Reusable workflows check glidepath out into .glidepath (see service-delivery.yml).
    path = uses.replace(/^\.\/(?:\.glidepath(?:\/|$))?/, '');
  } else if (uses.startsWith('$/')) {
    // GitHub's self-repository reference: this repository at the running commit.
    path = uses.slice(2);
  } else {
    const m = OWN_REPO.exec(uses);
    if (!m) return undefined;
    path = m[1] ?? '';
  }
  path = path.replace(/\/$/, '');
  if (path.startsWith('.github/workflows/')) return { kind: 'workflow', file: path };
  return { kind: 'action', file: path === '' ? 'action.yml' : `${path}/action.yml` };
}

/** Input names a `with:` must and may pass to a target. */
export function targetInputs(target: LocalTarget): { declared: string[]; required: string[] } {
  const inputs =
    target.kind === 'workflow'
      ? (readYaml<WorkflowDoc>(target.file).on?.workflow_call?.inputs ?? {})
      : (readYaml<ActionDoc>(target.file).inputs ?? {});
  return {
    declared: Object.keys(inputs),
    required: Object.entries(inputs)
      .filter(([, input]) => input.required === true && input.default === undefined)
      .map(([name]) => name),
  };
}

/** Every string in a parsed YAML document except descriptions (which may mention `inputs.x` in prose). */
export function expressionStrings(node: unknown, key = ''): string[] {
  if (key === 'description') return [];
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap((item) => expressionStrings(item));
  if (node && typeof node === 'object')
    return Object.entries(node).flatMap(([k, v]) => [k, ...expressionStrings(v, k)]);
  return [];
}

/** Names after `<context>.` in expressions, e.g. contextNames(strings, 'inputs'). */
export function contextNames(strings: string[], context: string): Set<string> {
  const names = new Set<string>();
  const pattern = new RegExp(`(?<![\\w.-])${context}\\.([A-Za-z_][\\w-]*)`, 'g');
  for (const s of strings) for (const m of s.matchAll(pattern)) names.add(m[1] as string);
  return names;
}

/** The `run:` script of one step, found by job and step id, to run for real in a test. */
export function stepScript(file: string, job: string, stepId: string): string {
  const doc = readYaml<WorkflowDoc>(file);
  const step = (doc.jobs?.[job]?.steps ?? []).find((s) => s.id === stepId);
  if (typeof step?.run !== 'string')
    throw new Error(`${file}: jobs.${job} has no run step with id ${stepId}`);
  return step.run;
}
