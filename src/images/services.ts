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

const manifestSchema = z.strictObject({
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
  const services = result.data.services.map((s): Service => {
    const path = normalisePath(s.path);
    return {
      name: s.name,
      path,
      dockerfile: normalisePath(s.dockerfile ?? posix.join(path, 'Dockerfile')),
      context: normalisePath(s.context ?? path),
      dependsOn: s.dependsOn.map(normalisePath),
    };
  });
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

/**
 * The convention when there is no manifest: every `services/<folder>/` holding a Dockerfile
 * is a service named after its folder. `files` are paths relative to the working directory.
 */
export function servicesByConvention(files: Iterable<string>): Service[] {
  const services: Service[] = [];
  for (const file of files) {
    const match = /^services\/([^/]+)\/Dockerfile$/.exec(file);
    if (!match) continue;
    const folder = match[1] as string;
    const path = `services/${folder}`;
    services.push({ name: imageName(folder), path, dockerfile: file, context: path, dependsOn: [] });
  }
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
