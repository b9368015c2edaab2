import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workflowErrors } from '../support/github-yaml.js';
import { repoRoot } from '../support/shared-fixtures.js';
import {
  type ActionDoc,
  actionFiles,
  callerTemplates,
  contextNames,
  expressionStrings,
  readYaml,
  repoWorkflows,
  type WorkflowDoc,
} from '../support/workflow-files.js';

const reusable = repoWorkflows.filter((file) => readYaml<WorkflowDoc>(file).on?.workflow_call !== undefined);

describe('the workflow files', () => {
  it('include the reusable workflows, the CI and one caller template per reusable workflow', () => {
    expect(reusable).toEqual(
      expect.arrayContaining([
        '.github/workflows/service-delivery.yml',
        '.github/workflows/platform-provision.yml',
        '.github/workflows/drift-detection.yml',
        '.github/workflows/janitor.yml',
      ]),
    );
    expect(repoWorkflows).toContain('.github/workflows/ci.yml');
    for (const file of reusable) expect(callerTemplates).toContain(file.replace('.github/', ''));
  });
});

describe.each([...repoWorkflows, ...callerTemplates])('%s', (file) => {
  const doc = readYaml<WorkflowDoc>(file);

  it("has no errors in GitHub's own workflow parser", () => {
    expect(workflowErrors(join(repoRoot, file))).toEqual([]);
  });

  it('declares permissions at workflow level, and never id-token: write there', () => {
    expect(doc.permissions, 'top-level permissions').toBeDefined();
    expect(JSON.stringify(doc.permissions ?? {})).not.toContain('id-token');
  });

  it('references only inputs it declares', () => {
    const declared = new Set([
      ...Object.keys(doc.on?.workflow_call?.inputs ?? {}),
      ...Object.keys(doc.on?.workflow_dispatch?.inputs ?? {}),
    ]);
    const used = contextNames(expressionStrings(doc), 'inputs');
    expect([...used].filter((name) => !declared.has(name))).toEqual([]);
  });
});

describe.each(reusable)('reusable workflow %s', (file) => {
  const doc = readYaml<WorkflowDoc>(file);

  it('references only the secrets it declares', () => {
    const declared = new Set([...Object.keys(doc.on?.workflow_call?.secrets ?? {}), 'GITHUB_TOKEN']);
    const used = contextNames(expressionStrings(doc), 'secrets');
    expect([...used].filter((name) => !declared.has(name))).toEqual([]);
  });

  it('gives every job its own least-privilege permissions, id-token only where a cloud login runs', () => {
    for (const [id, job] of Object.entries(doc.jobs ?? {})) {
      expect(job.permissions, `jobs.${id}.permissions`).toBeDefined();
      const logsIn = (job.steps ?? []).some((step) => step.uses?.endsWith('/actions/cluster-login'));
      const permissions = (job.permissions ?? {}) as Record<string, string>;
      expect(permissions['id-token'] === 'write', `jobs.${id} id-token: write`).toBe(logsIn);
    }
  });
});

describe.each(actionFiles)('%s', (file) => {
  it('references only inputs it declares', () => {
    const doc = readYaml<ActionDoc>(file);
    const declared = new Set(Object.keys(doc.inputs ?? {}));
    const used = contextNames(expressionStrings(doc.runs ?? {}), 'inputs');
    expect([...used].filter((name) => !declared.has(name))).toEqual([]);
  });
});
