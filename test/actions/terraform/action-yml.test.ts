import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { actionErrors } from '../../support/github-yaml.js';
import { repoRoot } from '../../support/shared-fixtures.js';

interface ActionYml {
  inputs: Record<string, { description?: string; default?: string }>;
  outputs: Record<string, { description?: string; value?: string }>;
  runs: { using: string; main?: string; steps?: { run?: string; env?: Record<string, string> }[] };
}

const load = (name: string) =>
  parse(readFileSync(join(repoRoot, 'actions', name, 'action.yml'), 'utf8')) as ActionYml;

describe('terraform and provision action.yml', () => {
  it.each(['terraform', 'provision'])('%s passes GitHub’s action parser and the action schema', (name) => {
    expect(actionErrors(join(repoRoot, 'actions', name, 'action.yml'))).toEqual([]);
  });

  it('declares exactly the inputs inputs.ts reads, all described, and the issue’s outputs', () => {
    const action = load('terraform');
    const source = readFileSync(join(repoRoot, 'src/actions/terraform/inputs.ts'), 'utf8');
    const read = [...source.matchAll(/core\.get(?:Boolean)?Input\('([^']+)'/g)].map((m) => m[1]);
    expect(new Set(read)).toEqual(new Set(Object.keys(action.inputs)));
    for (const input of Object.values(action.inputs)) expect(input.description).toBeTruthy();
    expect(Object.keys(action.outputs).sort()).toEqual([
      'add',
      'change',
      'changes',
      'destroy',
      'plan-file',
      'replace',
      'summary',
    ]);
    expect(action.runs).toEqual({ using: 'node24', main: '../../dist/terraform/index.js' });
  });

  it('provision runs the bundle by path with inputs as INPUT_* variables, never an expression inside a script', () => {
    const provision = load('provision');
    const terraform = load('terraform');
    expect(provision.runs.using).toBe('composite');
    const steps = provision.runs.steps ?? [];
    for (const step of steps) {
      expect(step.run).toBe('node "$GITHUB_ACTION_PATH/../../dist/terraform/index.js"');
      for (const name of Object.keys(step.env ?? {})) {
        expect(terraform.inputs[name.replace(/^INPUT_/, '').toLowerCase()], name).toBeDefined();
      }
    }
    const last = steps.at(-1)?.env ?? {};
    for (const name of Object.keys(provision.inputs))
      expect(last[`INPUT_${name.toUpperCase()}`], name).toBeDefined();
    expect(Object.keys(provision.outputs).sort()).toEqual(Object.keys(terraform.outputs).sort());
  });
});
