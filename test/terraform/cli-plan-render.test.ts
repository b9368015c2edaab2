import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { planRenderCommand } from '../../src/terraform/cli-plan-render.js';
import { hasSharedFixtures, sharedFixture } from '../support/shared-fixtures.js';

function capture() {
  const out = { stdout: '', stderr: '' };
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    out.stdout += String(c);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    out.stderr += String(c);
    return true;
  });
  return out;
}

describe('glidepath plan render', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.skipIf(!hasSharedFixtures)('prints the comment Markdown, and the counts with --json', async () => {
    const file = sharedFixture('terraform-plans', 'opentofu__show-json__basic-delete.json');
    const out = capture();
    expect(await planRenderCommand([file])).toBe(0);
    expect(out.stdout).toContain('**+0 ~1 -1 ±0**');
    out.stdout = '';
    expect(await planRenderCommand([file, '--json'])).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({
      verdict: '+0 ~1 -1 ±0',
      changes: true,
      add: 0,
      change: 1,
      destroy: 1,
      replace: 0,
    });
  });

  it('explains malformed JSON, a missing file and bad usage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glidepath-cli-'));
    writeFileSync(join(dir, 'bad.json'), '{"format_version":');
    const out = capture();
    expect(await planRenderCommand([join(dir, 'bad.json')])).toBe(3);
    expect(out.stderr).toMatch(
      /bad\.json: not a Terraform plan: expected the output of `terraform show -json PLANFILE`/,
    );
    expect(await planRenderCommand([join(dir, 'missing.json')])).toBe(3);
    expect(out.stderr).toContain('ENOENT');
    expect(await planRenderCommand([])).toBe(64);
    expect(out.stderr).toContain('usage: glidepath plan render PLAN_JSON|- [--json]');
  });
});
