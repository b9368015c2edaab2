import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { actionErrors } from '../../support/github-yaml.js';
import { repoRoot } from '../../support/shared-fixtures.js';

interface ActionYml {
  inputs: Record<string, { description?: string; default?: string }>;
  outputs: Record<string, { description?: string; value?: string }>;
  runs: {
    using: string;
    main?: string;
    steps?: { run?: string; uses?: string; with?: Record<string, string> }[];
  };
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

  it('provision runs the terraform action as steps of its own (the runner’s Node 24), passing every input', () => {
    const provision = load('provision');
    const terraform = load('terraform');
    expect(provision.runs.using).toBe('composite');
    const steps = provision.runs.steps ?? [];
    expect(steps.map((s) => s.uses)).toEqual(['$/actions/terraform', '$/actions/terraform']);
    for (const step of steps) {
      // No script at all: no bare `node`, and no expression inside a shell.
      expect(step.run).toBeUndefined();
      for (const name of Object.keys(step.with ?? {})) expect(terraform.inputs[name], name).toBeDefined();
      expect(step.with?.command).toBeDefined();
    }
    expect(steps[0]?.with).toMatchObject({ command: 'install', install: 'true' });
    expect(steps[1]?.with?.install).toBe('false');
    for (const name of Object.keys(provision.inputs))
      expect(steps[1]?.with?.[name], name).toBe(`\${{ inputs.${name} }}`);
    expect(Object.keys(provision.outputs).sort()).toEqual(Object.keys(terraform.outputs).sort());
    for (const [name, output] of Object.entries(provision.outputs))
      expect(output.value).toBe(`\${{ steps.run.outputs.${name} }}`);
  });
});
