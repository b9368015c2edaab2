import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/config/errors.js';
import { countChanges, parsePlan } from '../../src/terraform/plan.js';
import { hasSharedFixtures, sharedFixture } from '../support/shared-fixtures.js';

const dir = sharedFixture('terraform-plans');
const files = hasSharedFixtures ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
const load = (name: string) => parsePlan(readFileSync(sharedFixture('terraform-plans', name), 'utf8'), name);

describe.skipIf(!hasSharedFixtures)('plan model over the recorded real plans', () => {
  it('finds the whole corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(43);
  });

  it.each(files)('parses %s', (name) => {
    const plan = load(name);
    expect(plan.formatVersion).toMatch(/^\d+\.\d+$/);
    for (const c of plan.resourceChanges) expect(c.address).not.toBe('');
  });

  it('reads both replace orders', () => {
    expect(
      load('checkov__plan_with_deleted_resources_tfplan.json').resourceChanges.map((c) => c.kind),
    ).toContain('replace-create-first');
    const replace = load('opentofu__show-json__requires-replace.json').resourceChanges[0];
    expect(replace?.kind).toBe('replace');
    expect(replace?.actionReason).toBe('replace_because_cannot_update');
  });

  it('reads import, move, forget and data reads', () => {
    const imported = load('terraform-plan-comment__import__0-import.json').resourceChanges[0];
    expect(imported?.importing).toBe(true);
    expect(countChanges(load('terraform-plan-comment__import__0-import.json')).import).toBe(1);
    const moved = load('terraform-plan-comment__move__1-move.json').resourceChanges[0];
    expect(moved?.moved).toBe(true);
    expect(moved?.previousAddress).toBeDefined();
    expect(load('terraform-plan-comment__basic__3-remove.json').resourceChanges[0]?.kind).toBe('forget');
    expect(countChanges(load('opentofu__equivalence-tests__data_read.json')).read).toBe(1);
  });

  it('builds addresses for drift entries Terraform 1.0.0 wrote without one', () => {
    const plan = load('terraform-compliance__test_issue_522.json');
    expect(plan.drift).toHaveLength(15);
    expect(plan.drift[0]?.address).toMatch(/^(module\..+\.)?aws_cloudwatch_event_rule\.metrics_schedule/);
  });

  it('reads modules, outputs, sensitive outputs and errored plans', () => {
    const modules = load('opentofu__show-json__modules.json');
    expect(new Set(modules.resourceChanges.map((c) => c.moduleAddress)).size).toBeGreaterThan(1);
    const sensitive = load('opentofu__show-json__sensitive-values.json');
    expect(sensitive.outputChanges[0]?.sensitive).toBe(true);
    expect(load('opentofu__show-json__plan-error.json').errored).toBe(true);
    expect(countChanges(load('opentofu__equivalence-tests__variables_and_outputs.json')).outputs).toBe(5);
  });

  it('explains the setup-terraform wrapper output', () => {
    const text = readFileSync(
      sharedFixture('terraform-plans', 'edge', 'infracost__plan_with_terraform_wrapper.stdout'),
      'utf8',
    );
    expect(() => parsePlan(text, 'wrapper.stdout')).toThrow(
      /setup-terraform wrapper.*terraform_wrapper: false/,
    );
  });

  it('explains terragrunt NDJSON (several documents)', () => {
    const text = readFileSync(
      sharedFixture(
        'terraform-plans',
        'edge',
        'terraform-plan-comment__basic__6-terragrunt-multiplan.ndjson',
      ),
      'utf8',
    );
    expect(() => parsePlan(text)).toThrow(/3 JSON documents, one per line/);
  });

  it('explains a state given instead of a plan', () => {
    const text = readFileSync(
      sharedFixture('terraform-plans', 'state', 'opentofu__show-json-state__basic.json'),
      'utf8',
    );
    expect(() => parsePlan(text)).toThrow(/looks like a state/);
  });
});

describe('malformed plan JSON', () => {
  it('is a ConfigurationError naming the file and what was expected', () => {
    expect(() => parsePlan('{"format_version": "1.2", "resource_changes": [', 'broken.json')).toThrow(
      ConfigurationError,
    );
    expect(() => parsePlan('{"format_version": "1.2", "resource_changes": [', 'broken.json')).toThrow(
      /broken.json: not a Terraform plan: expected the output of `terraform show -json PLANFILE`/,
    );
    expect(() => parsePlan('', 'empty.json')).toThrow(/the file is empty/);
    expect(() => parsePlan('[]')).toThrow(/format_version/);
  });

  it('rejects unknown actions with the address', () => {
    const doc = {
      format_version: '1.2',
      resource_changes: [{ address: 'a.b', type: 'a', name: 'b', change: { actions: ['explode'] } }],
    };
    expect(() => parsePlan(JSON.stringify(doc))).toThrow(
      /resource_changes\[0\] \(a\.b\): unknown actions \[explode\]/,
    );
  });
});
