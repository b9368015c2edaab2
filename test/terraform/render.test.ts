import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SENSITIVE, UNKNOWN } from '../../src/terraform/diff.js';
import { parsePlan } from '../../src/terraform/plan.js';
import { GITHUB_COMMENT_LIMIT, renderPlan } from '../../src/terraform/render.js';
import { generatePlan } from '../support/generate-plan.js';
import { sensitiveValues } from '../support/sensitive-values.js';
import { hasSharedFixtures, sharedFixture } from '../support/shared-fixtures.js';

const files = hasSharedFixtures
  ? readdirSync(sharedFixture('terraform-plans')).filter((f) => f.endsWith('.json'))
  : [];
const text = (name: string) => readFileSync(sharedFixture('terraform-plans', name), 'utf8');
/** The refresh-only fixtures are rendered as drift detection renders them. */
const render = (name: string) =>
  renderPlan(parsePlan(text(name), name), {
    title: `Terraform plan: \`${name}\``,
    refreshOnly: /refresh[-_]only/.test(name),
  });

describe.skipIf(!hasSharedFixtures)('render of every recorded plan', () => {
  it.each(files)('%s matches its reviewed snapshot', async (name) => {
    const result = render(name);
    expect(result.markdown.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    await expect(result.markdown).toMatchFileSnapshot(`__snapshots__/${name.replace(/\.json$/, '.md.snap')}`);
  });

  it.each(files)('%s never shows a sensitive value', (name) => {
    const secrets = sensitiveValues(text(name)).filter((v) => v.length >= 3);
    const { markdown } = render(name);
    for (const secret of secrets) {
      expect(markdown).not.toContain(secret);
      expect(markdown).not.toContain(JSON.stringify(secret));
    }
  });

  it('hides sensitive attributes and outputs behind a fixed marker, without their length', () => {
    const { markdown } = render('terraform-plan-comment__basic__1-modify.json');
    expect(markdown).toContain(`content = ${SENSITIVE}`);
    expect(markdown).not.toMatch(/\d+ chars\)[^\n]*sensitive/);
    expect(render('opentofu__show-json__sensitive-values.json').markdown).toContain(SENSITIVE);
  });

  it('hides secret-named attributes of format 0.x plans, which carry no sensitivity masks', () => {
    const { markdown } = render('infracost__terraform_v0.14_plan.json');
    expect(markdown).not.toContain('YourPwdShouldBeLongAndSecure!');
    expect(markdown).toContain(`+ password = ${SENSITIVE}`);
    expect(markdown).toContain('+ get_password_data = false');
  });

  it('gives the one-line verdicts', () => {
    expect(render('terraform-plan-comment__basic__4-empty.json').verdict).toBe('no changes');
    expect(render('opentofu__equivalence-tests__drift_refresh_only.json').verdict).toBe('drift only');
    expect(render('opentofu__show-json__basic-delete.json').verdict).toBe('+0 ~1 -1 ±0');
    expect(render('terraform-plan-comment__basic__1-modify.json').verdict).toBe('+0 ~0 -0 ±2');
    expect(render('opentofu__show-json__plan-error.json').verdict).toBe('plan errored');
  });

  it('lists destructive changes first, marked, with the reason', () => {
    const { markdown } = render('terraform-compliance__test_issue_522.json');
    const warning = markdown.indexOf('destructive change(s)');
    const firstDetails = markdown.indexOf('<details>');
    expect(warning).toBeGreaterThan(0);
    expect(warning).toBeLessThan(firstDetails);
    expect(markdown.slice(firstDetails, firstDetails + 200)).toContain('⚠️ ❌ delete');
  });

  it('marks unknown values as known after apply', () => {
    expect(render('opentofu__show-json__basic-create.json').markdown).toContain(UNKNOWN);
  });

  it('keeps heredoc lines that start with + or - inside one diff line', () => {
    const { markdown } = render('terraform-plan-comment__basic__1-modify.json');
    const diff = markdown.split('```diff')[1]?.split('```')[0] ?? '';
    for (const line of diff.split('\n').filter(Boolean)) expect(line).toMatch(/^[+~-] \S/);
  });

  it('cuts the 300-resource plan under the comment limit with a note', () => {
    const result = render('terraform-plan-comment__basic__7-create-hundreds.json');
    expect(result.counts.add).toBe(300);
    expect(result.markdown.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
  });
});

describe('comment limit', () => {
  it('cuts a huge generated plan under 65 536 characters and says so', () => {
    const plan = parsePlan(generatePlan(5000), 'generated.json');
    const result = renderPlan(plan, { fullTextHint: 'See the job summary.' });
    expect(result.truncated).toBe(true);
    expect(result.markdown.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(result.markdown).toMatch(
      /sections were cut to stay under GitHub's 65,536-character comment limit\. See the job summary\./,
    );
    expect(result.markdown).toContain('destructive change(s)');
    expect(renderPlan(plan, { maxChars: 20_000 }).markdown.length).toBeLessThanOrEqual(20_000);
  });

  it('writes the counts of a large plan with thousands separators', () => {
    const result = renderPlan(parsePlan(generatePlan(5000), 'generated.json'));
    expect(result.verdict).toBe('+1,000 ~1,000 -1,000 ±1,000');
    expect(result.markdown).toContain('**+1,000 ~1,000 -1,000 ±1,000**');
    expect(result.markdown).toContain('> **2,000 destructive change(s)**');
    expect(result.markdown).toContain('> - … and 1,900 more');
    expect(result.markdown).toMatch(/> [\d,]+ of 4,000 sections were cut/);
  });

  it('leaves a small plan whole', () => {
    const result = renderPlan(parsePlan(generatePlan(3)));
    expect(result.truncated).toBe(false);
    expect(result.markdown).not.toContain('were cut');
  });
});
