import { posix } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { type ConfigProblem, ConfigurationError } from '../config/errors.js';

/** One buildable service: where its sources are and what else its image is built from. */
export interface Service {
  name: string;
  /** Folder of the service, relative to the working directory, without a trailing slash. */
  path: string;
  dockerfile: string;
  /** Build context handed to the builder. */
  context: string;
  /** Further files or folders (shared libraries, a base Dockerfile) whose changes rebuild this service. */
  dependsOn: string[];
}

export const MANIFEST_FILE = 'glidepath.services.yml';

// The OCI distribution spec's path component grammar, so a name is usable as the last part of an image name.
const IMAGE_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

const relativePath = z
  .string()
  .min(1)
  .refine((p) => !posix.isAbsolute(p) && !posix.normalize(p).startsWith('..'), {
    message: 'must be a path relative to the working directory, inside it (no leading "/" or "..")',
  });

const serviceSchema = z.strictObject({
  name: z.string().regex(IMAGE_NAME, {
    message: 'must be lowercase letters, digits and single ".", "_" or "-" separators (an image name)',
  }),
  path: relativePath,
  dockerfile: relativePath.optional(),
  context: relativePath.optional(),
  dependsOn: z.array(relativePath).default([]),
});

/** `glidepath.services.yml`, published as schema/services.schema.json. */
export const manifestSchema = z.strictObject({
  services: z.array(serviceSchema).min(1, { message: 'must list at least one service' }),
});

export function normalisePath(p: string): string {
  const normal = posix.normalize(p).replace(/\/+$/, '');
  return normal === '' ? '.' : normal;
}

/** Parses `glidepath.services.yml`; every mistake is reported with its field and line. */
export function parseManifest(text: string, file: string): Service[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigurationError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, message: `is not valid YAML: ${e.message}`, line: pos?.line, column: pos?.col };
      }),
    );
  }
  const lineOf = (path: Array<string | number>) => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    const pos = node?.range ? lineCounter.linePos(node.range[0]) : undefined;
    return { line: pos?.line, column: pos?.col };
  };
  const result = manifestSchema.safeParse(doc.toJS());
  if (!result.success) {
    throw new ConfigurationError(
      result.error.issues.map((issue): ConfigProblem => {
        const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
        const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
        const pos = node?.range ? lineCounter.linePos(node.range[0]) : undefined;
        return {
          file,
          field: formatField(path) || undefined,
          message: `${issue.message}. Expected: services: [{ name, path, dockerfile?, context?, dependsOn? }]`,
          line: pos?.line,
          column: pos?.col,
        };
      }),
    );
  }
  // A dependsOn entry that is another service's name means that service's folder (and what it depends on).
  const paths = new Map(result.data.services.map((s) => [s.name, normalisePath(s.path)]));
  const problems: ConfigProblem[] = [];
  const services = result.data.services.map((s, i): Service => {
    const path = normalisePath(s.path);
    const dependsOn = s.dependsOn.map((entry, d) => {
      if (entry === s.name) {
        problems.push({
          file,
          ...lineOf(['services', i, 'dependsOn', d]),
          field: `services[${i}].dependsOn[${d}]`,
          message: `"${entry}" is this service itself: list the other services or paths it is built from`,
        });
      }
      return paths.get(entry) ?? normalisePath(entry);
    });
    return {
      name: s.name,
      path,
      dockerfile: normalisePath(s.dockerfile ?? posix.join(path, 'Dockerfile')),
      context: normalisePath(s.context ?? path),
      dependsOn: [...new Set(dependsOn)],
    };
  });
  if (problems.length > 0) throw new ConfigurationError(problems);
  const seen = new Map<string, number>();
  services.forEach((s, i) => {
    const first = seen.get(s.name);
    if (first !== undefined) {
      throw new ConfigurationError([
        {
          file,
          field: `services[${i}].name`,
          message: `"${s.name}" is also the name of services[${first}]; give each service its own name`,
        },
      ]);
    }
    seen.set(s.name, i);
  });
  return services;
}

function formatField(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Folders never searched by the convention: tool and dependency trees, not services. */
export const SKIPPED_FOLDERS = new Set(['node_modules', 'vendor', 'third_party']);
/** How deep the convention looks: `a/b/c/d/Dockerfile` is found, a fifth level is not. */
export const CONVENTION_DEPTH = 4;

/**
 * The convention when there is no manifest: every folder holding a
 * `Dockerfile` is a service named after the folder, whatever the layout
 * (`services/<name>/`, `src/<name>/`, `apps/<name>/`, `<name>/` ...), down to
 * four levels, skipping hidden folders, node_modules, vendor and third_party.
 * The outermost such folder wins: a Dockerfile below a service's folder
 * (a dev or test image) belongs to that service, and a Dockerfile at the root
 * is no service (name it in the manifest). `files` are paths relative to the
 * working directory. Two folders of one name are refused: the image names
 * would collide.
 */
export function servicesByConvention(files: Iterable<string>): Service[] {
  const folders = [...files]
    .filter((file) => /(^|\/)Dockerfile$/.test(file))
    .map((file) => file.split('/').slice(0, -1))
    .filter(
      (parts) =>
        parts.length >= 1 &&
        parts.length <= CONVENTION_DEPTH &&
        parts.every((part) => !part.startsWith('.') && !SKIPPED_FOLDERS.has(part)),
    )
    .map((parts) => parts.join('/'))
    .sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
  const kept: string[] = [];
  for (const folder of folders) {
    if (!kept.some((outer) => folder.startsWith(`${outer}/`))) kept.push(folder);
  }
  const services = kept.map(
    (path): Service => ({
      name: imageName(posix.basename(path)),
      path,
      dockerfile: `${path}/Dockerfile`,
      context: path,
      dependsOn: [],
    }),
  );
  const byName = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  for (const service of services) {
    const other = byName.get(service.name);
    if (other !== undefined) {
      problems.push({
        file: service.dockerfile,
        message: `${other}/ and ${service.path}/ would both build the image "${service.name}": name them apart in a ${MANIFEST_FILE} (see the README, "Monorepos")`,
      });
    }
    byName.set(service.name, service.path);
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return services.sort((a, b) => a.name.localeCompare(b.name));
}

function imageName(folder: string): string {
  return (
    folder
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'service'
  );
}
