import { type Dirent, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConfigProblem, ConfigurationError } from '../config/errors.js';
import { parseYamlDocuments } from '../config/yaml-document.js';
import type { Git } from './git.js';
import { ensureCommit } from './history.js';
import { matchChangedServices } from './match.js';
import type { Range } from './range.js';
import {
  CONVENTION_DEPTH,
  MANIFEST_FILE,
  parseManifest,
  type Service,
  SKIPPED_FOLDERS,
  servicesByConvention,
} from './services.js';

export interface DetectOptions {
  git: Git;
  /** Manifest path relative to the git working directory. */
  manifest: string;
  /** When true a missing manifest is an error; otherwise the convention (any folder with a Dockerfile) applies. */
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
    const problems: ConfigProblem[] = [];
    const document = parseYamlDocuments(text, manifest)[0];
    const at = (...path: Array<string | number>) => {
      // A default (dockerfile, context) has no line of its own: point at the service's path.
      const position = document?.positionOf(path) ?? document?.positionOf(path.slice(0, 3));
      return { line: position?.line, column: position?.column };
    };
    const missing = (path: string, field: string, what: string) => {
      if (existsSync(join(cwd, path))) return;
      const fix = field.includes('dependsOn')
        ? 'fix the path, name another service, or remove the entry'
        : 'fix the path';
      const parts = field
        .replace(/\[(\d+)\]/g, '.$1')
        .split('.')
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
      problems.push({
        file: manifest,
        ...at(...parts),
        field,
        message: `${what} "${path}" does not exist; ${fix}`,
      });
    };
    services.forEach((s, i) => {
      if (!existsSync(join(cwd, s.path))) {
        problems.push({
          file: manifest,
          ...at('services', i, 'path'),
          field: `services[${i}].path`,
          message: `folder "${s.path}" does not exist; fix the path or remove the service "${s.name}"`,
        });
        return;
      }
      missing(s.dockerfile, `services[${i}].dockerfile`, 'Dockerfile');
      missing(s.context, `services[${i}].context`, 'build context');
      s.dependsOn.forEach((d, j) => {
        missing(d, `services[${i}].dependsOn[${j}]`, 'path');
      });
    });
    if (problems.length > 0) throw new ConfigurationError(problems);
    return { services, source: 'manifest', text };
  }
  if (required) {
    throw new ConfigurationError([
      {
        field: 'manifest',
        message: `services manifest "${manifest}" was not found in ${cwd}; fix the path, or leave the input at its default to find every folder with a Dockerfile`,
      },
    ]);
  }
  const services = servicesByConvention(dockerfilesUnder(cwd));
  if (services.length === 0) {
    // Green with nothing built would hide a wrong working-directory or layout.
    throw new ConfigurationError([
      {
        field: 'working-directory',
        message: `found no service in ${cwd}: no ${MANIFEST_FILE} and no folder with a Dockerfile (services/<name>/, src/<name>/, apps/<name>/ or any folder up to ${CONVENTION_DEPTH} levels down); add a Dockerfile, write ${MANIFEST_FILE} (README, "Monorepos"), or fix working-directory`,
      },
    ]);
  }
  return { services, source: 'convention' };
}

/** Paths of the Dockerfiles the convention can see, without descending below a service's folder. */
function dockerfilesUnder(cwd: string): string[] {
  const found: string[] = [];
  const walk = (folder: string, depth: number) => {
    if (depth > CONVENTION_DEPTH) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(join(cwd, folder), { withFileTypes: true });
    } catch {
      return;
    }
    if (folder !== '' && entries.some((e) => e.isFile() && e.name === 'Dockerfile')) {
      found.push(`${folder}/Dockerfile`);
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.') || SKIPPED_FOLDERS.has(entry.name)) continue;
      walk(folder ? `${folder}/${entry.name}` : entry.name, depth + 1);
    }
  };
  walk('', 0);
  return found;
}

async function servicesAt(
  git: Git,
  rev: string,
  manifest: string,
  source: 'manifest' | 'convention',
  log: (message: string) => void,
  current: { text?: string; services: Service[] },
): Promise<Service[]> {
  if (source === 'convention') {
    try {
      return servicesByConvention(await git.listFiles(rev, '.'));
    } catch (e: unknown) {
      if (!(e instanceof ConfigurationError)) throw e;
      log(`Ignoring the services at base for deleted-service detection: ${e.message}`);
      return [];
    }
  }
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
