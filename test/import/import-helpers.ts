import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { ConfigurationError } from '../../src/config/errors.js';
import { type RolloutConfig, rolloutSchema } from '../../src/config/rollout.js';
import { parseYamlDocuments, type YamlDocument } from '../../src/config/yaml-document.js';
import { type ImportResult, renderImport } from '../../src/import/result.js';
import { sharedFixture } from '../support/shared-fixtures.js';

export function exampleDocuments(name: string): YamlDocument[] {
  const file = sharedFixture('k8s-schemas', 'examples', name);
  return parseYamlDocuments(readFileSync(file, 'utf8'), file);
}

export function inlineDocuments(text: string, file = 'inline.yaml'): YamlDocument[] {
  return parseYamlDocuments(text, file);
}

/** The printed YAML read back the way a rollout would read it: it must pass the rollout schema. */
export function printed(result: ImportResult): { text: string; config: RolloutConfig } {
  const text = renderImport(result);
  return { text, config: rolloutSchema.parse(parse(text)) };
}

export function notesAbout(result: ImportResult, pattern: RegExp): string[] {
  return result.notes.filter((n) => pattern.test(`${n.field}: ${n.message}`)).map((n) => n.field);
}

export function configurationError(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (e: unknown) {
    expect(e).toBeInstanceOf(ConfigurationError);
    return e as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}
