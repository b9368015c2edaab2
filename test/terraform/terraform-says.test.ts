import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { planRenderCommand } from '../../src/terraform/cli-plan-render.js';
import { destroyGuard } from '../../src/terraform/guard.js';
import { decodePlanBytes, type Plan, parsePlan } from '../../src/terraform/plan.js';
import { GITHUB_SUMMARY_BYTES, renderPlan } from '../../src/terraform/render.js';
import { hasSharedFixtures, sharedFixture } from '../support/shared-fixtures.js';

/**
 * What Terraform tells the user, checked on plans the real binary writes
 * where one is on PATH: a root module of terraform_data resources (built in,
 * no provider download) driven into a failed create-before-destroy (a
 * deposed object), a forced replacement, a removed block with destroy =
 * false and a failing check block.
 */
const terraform = spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;
if (!terraform) console.warn('NOTICE: no terraform on PATH; the tests on real Terraform plans are skipped.');

const MODULE = `
variable "v" { default = "one" }
variable "fail" { default = false }
resource "terraform_data" "cbd" {
  input            = var.v
  triggers_replace = [var.v]
  lifecycle { create_before_destroy = true }
  provisioner "local-exec" { command = var.fail ? "exit 1" : "true" }
}
resource "terraform_data" "plain" { triggers_replace = [var.v] }
check "always_fails" {
  assert {
    condition     = var.v == "never"
    error_message = "v is not never (it is \${var.v})"
  }
}
`;

describe.skipIf(!terraform)(
  'a real Terraform plan: deposed object, forced replacement, forget, failing check',
  () => {
    let dir: string;
    let plan: Plan;
    let human: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'glidepath-tf-says-'));
      const env = {
        ...process.env,
        TF_CLI_CONFIG_FILE: '/dev/null',
        TF_IN_AUTOMATION: '1',
        CHECKPOINT_DISABLE: '1',
      };
      const tf = (...args: string[]) =>
        spawnSync('terraform', args, { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
      writeFileSync(join(dir, 'main.tf'), `${MODULE}\nresource "terraform_data" "keep" { input = "kept" }\n`);
      expect(tf('init', '-input=false').status).toBe(0);
      expect(tf('apply', '-auto-approve', '-input=false').status).toBe(0);
      // The replacement's create fails: the old object stays, deposed.
      expect(tf('apply', '-auto-approve', '-input=false', '-var', 'v=two', '-var', 'fail=true').status).toBe(
        1,
      );
      writeFileSync(
        join(dir, 'main.tf'),
        `${MODULE}\nremoved {\n  from = terraform_data.keep\n  lifecycle { destroy = false }\n}\n`,
      );
      expect(tf('plan', '-input=false', '-var', 'v=three', '-out=tfplan').status).toBe(0);
      const json = execFileSync('terraform', ['show', '-json', 'tfplan'], {
        cwd: dir,
        env,
        encoding: 'utf8',
      });
      human = execFileSync('terraform', ['show', '-no-color', 'tfplan'], { cwd: dir, env, encoding: 'utf8' });
      plan = parsePlan(json, 'tfplan.json');
    }, 120_000);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('counts as Terraform does', () => {
      const m = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy/.exec(human);
      const { counts } = renderPlan(plan);
      expect(m).not.toBeNull();
      expect(counts.add + counts.replace).toBe(Number(m?.[1]));
      expect(counts.change).toBe(Number(m?.[2]));
      expect(counts.destroy + counts.replace).toBe(Number(m?.[3]));
    });

    it('shows the deposed object as such, not as a delete of the live resource, and the guard lets it go', () => {
      expect(human).toContain('(deposed object');
      const deposed = plan.resourceChanges.find((c) => c.deposed);
      expect(deposed?.address).toBe('terraform_data.cbd');
      const { markdown } = renderPlan(plan);
      expect(markdown).toContain(`deposed object(s) will be destroyed`);
      expect(markdown).toContain(`(deposed object \`${deposed?.deposed}\`)`);
      expect(markdown).toContain('🧹 delete deposed object <code>terraform_data.cbd</code>');
      expect(markdown).not.toMatch(/\*\*delete\*\* `terraform_data\.cbd`/);
      const guard = destroyGuard(plan, false);
      expect(guard.resources).toEqual(['terraform_data.cbd (replace)', 'terraform_data.plain (replace)']);
    });

    it('marks the attribute that forces the replacement', () => {
      const plain = plan.resourceChanges.find((c) => c.address === 'terraform_data.plain');
      expect(plain?.replacePaths).toEqual([['triggers_replace']]);
      const { markdown } = renderPlan(plan);
      expect(markdown).toMatch(/~ triggers_replace\[0\] = "two" -> "three" # forces replacement/);
    });

    it('puts the failing check and the "no longer managed" warning in the summary', () => {
      expect(human).toContain('will no longer be managed by Terraform');
      const { markdown } = renderPlan(plan);
      const head = markdown.slice(0, markdown.indexOf('<details>'));
      expect(head).toContain('**Some objects will no longer be managed by Terraform.**');
      expect(head).toContain('- `terraform_data.keep`');
      expect(head).toContain('**1 check(s) failed**');
      expect(head).toContain('`check.always_fails` failed: v is not never (it is three)');
    });
  },
);

describe('drift Terraform hides in a normal plan is hidden', () => {
  const drifted = () =>
    JSON.parse(readFileSync(sharedFixture('terraform-plans', 'opentofu__show-json__drift.json'), 'utf8'));

  it.skipIf(!hasSharedFixtures)('shows only drift of relevant attributes, as Terraform 1.2+ does', () => {
    const doc = drifted();
    doc.format_version = '1.2';
    const address = doc.resource_drift[0].address as string;
    // Not relevant: Terraform shows nothing of it.
    expect(renderPlan(parsePlan(JSON.stringify(doc))).markdown).not.toContain('Changed outside Terraform');
    doc.relevant_attributes = [{ resource: address, attribute: ['ami'] }];
    const shown = renderPlan(parsePlan(JSON.stringify(doc))).markdown;
    expect(shown).toContain('Changed outside Terraform');
    expect(shown).toMatch(/~ ami = /);
    // A refresh-only plan (drift detection) shows it all.
    doc.relevant_attributes = undefined;
    expect(renderPlan(parsePlan(JSON.stringify(doc)), { refreshOnly: true }).markdown).toContain(
      'Changed outside Terraform',
    );
  });

  it('says there is no state yet on a refresh-only plan of a module never applied', () => {
    const doc = {
      format_version: '1.2',
      terraform_version: '1.11.4',
      planned_values: { outputs: {} },
      output_changes: { o: { actions: ['create'], before: null, after_unknown: true } },
      applyable: false,
      complete: true,
      errored: false,
    };
    const result = renderPlan(parsePlan(JSON.stringify(doc)), { refreshOnly: true });
    expect(result.verdict).toBe('no state yet');
    expect(result.changes).toBe(false);
    expect(result.markdown).toContain('There is no state yet');
    expect(result.markdown).not.toContain('+0 ~0 -0 ±0');
  });
});

function wide(count: number, modules: number, value: string): string {
  return JSON.stringify({
    format_version: '1.2',
    resource_changes: Array.from({ length: count }, (_, i) => ({
      address: `module.m${i % modules}.example.r[${i}]`,
      module_address: `module.m${i % modules}`,
      mode: 'managed',
      type: 'example',
      name: 'r',
      change: { actions: ['create'], before: null, after: { text: value }, after_unknown: {} },
    })),
  });
}

describe('limits are GitHub’s own', () => {
  it('caps the job summary at 1 MiB of bytes, not characters, and names that limit', () => {
    const plan = parsePlan(wide(3000, 3, 'é'.repeat(280)));
    const result = renderPlan(plan, { maxBytes: GITHUB_SUMMARY_BYTES });
    expect(result.truncated).toBe(true);
    expect(Buffer.byteLength(result.markdown)).toBeLessThanOrEqual(GITHUB_SUMMARY_BYTES);
    expect(result.markdown).toContain("cut to stay under GitHub's 1 MiB job-summary limit");
    // Measured in characters it would have fitted twice over: bytes are what count.
    expect(result.markdown.length).toBeLessThan(GITHUB_SUMMARY_BYTES * 0.75);
    expect(renderPlan(plan, { maxChars: Infinity }).truncated).toBe(false);
  });

  it('cuts a long module table only between rows', () => {
    const plan = parsePlan(wide(4000, 4000, 'x'));
    const result = renderPlan(plan);
    expect(result.markdown.length).toBeLessThanOrEqual(65_536);
    const table = result.markdown.split('\n').filter((l) => l.startsWith('|'));
    expect(table.length).toBeGreaterThan(10);
    for (const row of table) expect(row).toMatch(/^\|.*\|$/);
    expect(table.at(-1)).toMatch(/^\| … and \d{1,3}(,\d{3})* more modules \|/);
    expect(result.markdown).toContain('were cut to stay under');
  });
});

describe('plan files users hand over', () => {
  afterEach(() => vi.restoreAllMocks());
  const plan = JSON.stringify({
    format_version: '1.2',
    resource_changes: [
      {
        address: 'example.r',
        mode: 'managed',
        type: 'example',
        name: 'r',
        change: { actions: ['create'], before: null, after: { name: 'café' }, after_unknown: {} },
      },
    ],
  });

  it('renders UTF-16LE with a BOM (Windows PowerShell `>`) and UTF-8 with a BOM like plain UTF-8', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glidepath-bom-'));
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(plan, 'utf16le')]);
    const utf8bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(plan)]);
    expect(decodePlanBytes(utf16)).toBe(plan);
    expect(decodePlanBytes(utf8bom)).toBe(plan);
    expect(parsePlan(`\ufeff${plan}`).resourceChanges).toHaveLength(1);
    const outputs: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
      outputs.push(String(c));
      return true;
    });
    for (const [name, bytes] of [
      ['plain.json', Buffer.from(plan)],
      ['utf16.json', utf16],
      ['bom.json', utf8bom],
    ] as const) {
      writeFileSync(join(dir, name), bytes);
      expect(await planRenderCommand([join(dir, name), '--json'])).toBe(0);
    }
    expect(outputs).toHaveLength(3);
    expect(new Set(outputs).size).toBe(1);
    expect(JSON.parse(outputs[0] as string)).toMatchObject({ add: 1 });
  });

  it('recognises a `terraform plan -json` log stream and says what to run instead', () => {
    // Lines as Terraform's machine-readable UI writes them (one JSON message per line).
    const stream = [
      '{"@level":"info","@message":"Terraform 1.11.4","@module":"terraform.ui","@timestamp":"2026-01-01T00:00:00Z","terraform":"1.11.4","type":"version","ui":"1.2"}',
      '{"@level":"info","@message":"terraform_data.a: Plan to create","@module":"terraform.ui","@timestamp":"2026-01-01T00:00:00Z","change":{"resource":{"addr":"terraform_data.a"},"action":"create"},"type":"planned_change"}',
      '{"@level":"info","@message":"Plan: 1 to add, 0 to change, 0 to destroy.","@module":"terraform.ui","@timestamp":"2026-01-01T00:00:00Z","changes":{"add":1,"change":0,"import":0,"remove":0,"operation":"plan"},"type":"change_summary"}',
    ].join('\n');
    expect(() => parsePlan(stream, 'plan.log')).toThrow(
      /machine-readable log of `terraform plan -json` \(3 UI messages, one per line\), not a plan document\. It says: 1 to add, 0 to change, 0 to destroy\. Save the plan with `terraform plan -out=tfplan`/,
    );
    expect(() => parsePlan(stream, 'plan.log')).not.toThrow(/terragrunt/);
  });
});
