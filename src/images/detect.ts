import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError } from '../config/errors.js';
import type { Git } from './git.js';
import { ensureCommit } from './history.js';
import { matchChangedServices } from './match.js';
import type { Range } from './range.js';
import { parseManifest, type Service, servicesByConvention } from './services.js';

export interface DetectOptions {
  git: Git;
  /** Manifest path relative to the git working directory. */
  manifest: string;
  /** When true a missing manifest is an error; otherwise the `services/*` convention applies. */
  manifestRequired: boolean;
  range: Range;
  deepenSteps?: number[];
  log?: (message: string) => void;
}

export interface ChangeReport {
  /** Services to build: changed ones that still exist at head. */
  changed: Service[];
  all: Service[];
  /** Names of services present at base and gone at head (nothing to build; listed for cleanup). */
  deleted: string[];
  source: 'manifest' | 'convention';
  base?: string;
  head: string;
  reason: string;
  changedFiles: number;
}

export async function detectChanges(options: DetectOptions): Promise<ChangeReport> {
  const { git, range } = options;
  const log = options.log ?? (() => {});
  const { services: all, source, text } = loadServices(git.cwd, options.manifest, options.manifestRequired);
  if (range.kind === 'all') {
    return {
      changed: all,
      all,
      deleted: [],
      source,
      head: range.head,
      reason: range.reason,
      changedFiles: 0,
    };
  }
  await ensureCommit(git, range.base, { deepenSteps: options.deepenSteps, log });
  if (!(await git.hasCommit(range.head))) await ensureCommit(git, range.head, { deepenSteps: [], log });
  const base = await git.revParse(range.base);
  const head = await git.revParse(range.head);
  const files = await git.changedFiles(base, head);
  const changed = matchChangedServices(all, files);
  const before = await servicesAt(git, base, options.manifest, source, log, { text, services: all });
  const names = new Set(all.map((s) => s.name));
  const deleted = before.filter((s) => !names.has(s.name)).map((s) => s.name);
  return { changed, all, deleted, source, base, head, reason: range.reason, changedFiles: files.length };
}

/** The services of the checked-out tree: from the manifest when there is one, else by convention. */
export function loadServices(
  cwd: string,
  manifest: string,
  required: boolean,
): { services: Service[]; source: 'manifest' | 'convention'; text?: string } {
  const file = join(cwd, manifest);
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    const services = parseManifest(text, manifest);
    services.forEach((s, i) => {
      if (!existsSync(join(cwd, s.path))) {
        throw new ConfigurationError([
          {
            file: manifest,
            field: `services[${i}].path`,
            message: `folder "${s.path}" does not exist; fix the path or remove the service "${s.name}"`,
          },
        ]);
      }
    });
    return { services, source: 'manifest', text };
  }
  if (required) {
    throw new ConfigurationError([
      {
        field: 'manifest',
        message: `services manifest "${manifest}" was not found in ${cwd}; fix the path, or leave the input at its default to find services/*/Dockerfile`,
      },
    ]);
  }
  const servicesDir = join(cwd, 'services');
  const dockerfiles = existsSync(servicesDir)
    ? readdirSync(servicesDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(servicesDir, d.name, 'Dockerfile')))
        .map((d) => `services/${d.name}/Dockerfile`)
    : [];
  return { services: servicesByConvention(dockerfiles), source: 'convention' };
}

async function servicesAt(
  git: Git,
  rev: string,
  manifest: string,
  source: 'manifest' | 'convention',
  log: (message: string) => void,
  current: { text?: string; services: Service[] },
): Promise<Service[]> {
  if (source === 'convention') return servicesByConvention(await git.listFiles(rev, 'services'));
  const text = await git.show(rev, manifest);
  if (text === undefined) return [];
  // Most diffs leave the manifest alone; parsing 1 000 entries twice is most of our cost.
  if (text === current.text) return current.services;
  try {
    return parseManifest(text, `${manifest}@${rev.slice(0, 7)}`);
  } catch (e: unknown) {
    // An invalid manifest at base only hides deletions; the head manifest is what must be right.
    log(
      `Ignoring the manifest at base for deleted-service detection: ${e instanceof Error ? e.message : String(e)}`,
    );
    return [];
  }
}
