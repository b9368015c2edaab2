import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { actionErrors } from '../support/github-yaml.js';
import { repoRoot } from '../support/shared-fixtures.js';

interface ActionFile {
  inputs?: Record<string, { description?: string; required?: boolean; default?: string }>;
  outputs?: Record<string, { description?: string }>;
  runs: { using: string; main?: string; post?: string; steps?: unknown[] };
}

const actionFiles = [
  ...(existsSync(join(repoRoot, 'action.yml')) ? ['action.yml'] : []),
  ...readdirSync(join(repoRoot, 'actions'))
    .map((name) => `actions/${name}/action.yml`)
    .filter((file) => existsSync(join(repoRoot, file))),
];

/** Every input name an entry point reads with core.get*Input('literal'). */
function inputsRead(sourceDir: string): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const match of text.matchAll(/get(?:Boolean|Multiline)?Input\(\s*['"]([^'"]+)['"]/g))
          names.add(match[1] as string);
      }
    }
  };
  walk(sourceDir);
  return names;
}

describe.each(actionFiles)('%s', (file) => {
  const path = join(repoRoot, file);
  const action = parse(readFileSync(path, 'utf8')) as ActionFile;

  it("passes GitHub's action schema and the action metadata JSON Schema", () => {
    expect(actionErrors(path)).toEqual([]);
  });

  it('describes every input and output in one line', () => {
    for (const [name, input] of Object.entries(action.inputs ?? {})) {
      expect(input.description, `input ${name}`).toMatch(/\S/);
      expect(input.description, `input ${name}`).not.toContain('\n');
    }
    for (const [name, output] of Object.entries(action.outputs ?? {}))
      expect(output.description, `output ${name}`).toMatch(/\S/);
  });

  if (action.runs.using !== 'composite') {
    it('runs on node24 from a committed bundle', () => {
      expect(action.runs.using).toBe('node24');
      for (const entry of [action.runs.main, action.runs.post].filter(Boolean) as string[]) {
        expect(existsSync(join(dirname(path), entry)), entry).toBe(true);
        expect(relative(repoRoot, join(dirname(path), entry))).toMatch(/^dist\/[\w-]+\/(index|post)\.js$/);
      }
    });

    it('declares exactly the inputs its entry point reads', () => {
      const bundle = relative(repoRoot, join(dirname(path), action.runs.main as string));
      const name = bundle.split('/')[1] as string;
      const read = inputsRead(join(repoRoot, 'src/actions', name));
      expect([...read].sort()).toEqual(Object.keys(action.inputs ?? {}).sort());
    });
  }
});
