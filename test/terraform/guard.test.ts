import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { destroyGuard } from '../../src/terraform/guard.js';
import { parsePlan } from '../../src/terraform/plan.js';
import {
  checkPlanForApply,
  formatPlanRecord,
  readPlanRecord,
  sha256,
} from '../../src/terraform/plan-hash.js';
import { generatePlan } from '../support/generate-plan.js';
import { hasSharedFixtures, sharedFixture } from '../support/shared-fixtures.js';

const load = (name: string) => parsePlan(readFileSync(sharedFixture('terraform-plans', name), 'utf8'));

describe.skipIf(!hasSharedFixtures)('destroy guard', () => {
  it('fails a plan that deletes or replaces, naming each resource, unless allowed', () => {
    const plan = load('terraform-plan-comment__basic__1-modify.json');
    const refused = destroyGuard(plan, false);
    expect(refused.allowed).toBe(false);
    expect(refused.message).toBe(
      'the plan deletes or replaces 2 resource(s): local_file.test (replace), local_file.test3 (replace). Set the input allow-destroy: true if this is intended.',
    );
    expect(destroyGuard(plan, true).allowed).toBe(true);
    expect(destroyGuard(load('checkov__plan_with_deleted_resources_tfplan.json'), false).allowed).toBe(false);
  });

  it('lets creates, updates, forgets and imports through', () => {
    for (const name of [
      'opentofu__show-json__basic-create.json',
      'terraform-plan-comment__basic__3-remove.json',
      'terraform-plan-comment__import__0-import.json',
    ]) {
      expect(destroyGuard(load(name), false).allowed).toBe(true);
    }
  });
});

describe('reviewed plan record', () => {
  const reviewed = { sha256: sha256(generatePlan(2)), commit: 'ab'.repeat(20) };

  it('round-trips through the comment body', () => {
    expect(readPlanRecord(`plan text\n${formatPlanRecord(reviewed)}\n`)).toEqual(reviewed);
    expect(readPlanRecord('no record here')).toBeUndefined();
  });

  it('is read only from the last line, never from plan text above it', () => {
    const planted = formatPlanRecord({ sha256: sha256('evil'), commit: 'ef'.repeat(20) });
    expect(readPlanRecord(`${planted}\nplan text\n`)).toBeUndefined();
    expect(readPlanRecord(`plan text ${planted}`)).toBeUndefined();
    expect(readPlanRecord(`${planted}\nplan text\n${formatPlanRecord(reviewed)}\n`)).toEqual(reviewed);
  });

  it('accepts only the same bytes for the same commit, and says why otherwise', () => {
    expect(checkPlanForApply(reviewed, reviewed)).toEqual({ ok: true });
    expect(checkPlanForApply(reviewed, { ...reviewed, sha256: sha256('other') })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/differs from the reviewed plan's/),
    });
    expect(checkPlanForApply(reviewed, { ...reviewed, commit: 'cd'.repeat(20) })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(
        /made for commit abababababab, but the pull request's head is cdcdcdcdcdcd/,
      ),
    });
    expect(checkPlanForApply(undefined, reviewed)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/no reviewed plan was recorded/),
    });
  });
});
