import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/config/errors.js';
import { readRequiredVersion } from '../../src/terraform/required-version.js';

function module(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'glidepath-required-version-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('required_version of a root module', () => {
  it('is read from a terraform block, not from look-alikes in comments, heredocs or other blocks', async () => {
    const dir = module({
      'main.tf': [
        '# terraform { required_version = "0.1.0" }',
        'resource "terraform_data" "x" {',
        '  input = <<EOT',
        'terraform {',
        '  required_version = "0.2.0"',
        '}',
        'EOT',
        '}',
        'locals { required_version = "0.3.0" }',
      ].join('\n'),
      'versions.tf': 'terraform {\n  required_version = "~> 1.9.0"\n  required_providers {}\n}\n',
    });
    expect(await readRequiredVersion(dir, 'terraform')).toEqual({
      constraint: '~> 1.9.0',
      files: ['versions.tf'],
    });
  });

  it('joins the constraints of every file, the JSON syntax included (Terraform requires all of them)', async () => {
    const dir = module({
      'a.tf': 'terraform {\n  required_version = ">= 1.5"\n}\n',
      'b.tf.json': JSON.stringify({ terraform: { required_version: '< 2.0' } }),
      'c.tf': 'variable "x" {}\n',
    });
    expect(await readRequiredVersion(dir, 'terraform')).toEqual({
      constraint: '>= 1.5, < 2.0',
      files: ['a.tf', 'b.tf.json'],
    });
  });

  it('lets OpenTofu’s .tofu file replace the .tf file of the same name', async () => {
    const dir = module({
      'versions.tf': 'terraform {\n  required_version = "~> 1.5.0"\n}\n',
      'versions.tofu': 'terraform {\n  required_version = "~> 1.8.0"\n}\n',
    });
    expect((await readRequiredVersion(dir, 'tofu'))?.constraint).toBe('~> 1.8.0');
    expect((await readRequiredVersion(dir, 'terraform'))?.constraint).toBe('~> 1.5.0');
  });

  it('is undefined when no file sets it', async () => {
    expect(await readRequiredVersion(module({ 'main.tf': 'output "x" { value = 1 }\n' }), 'terraform')).toBe(
      undefined,
    );
  });

  it('refuses a syntax error with the file, line and column', async () => {
    const dir = module({ 'main.tf': 'terraform {\n  required_version = \n}\n' });
    const error = await readRequiredVersion(dir, 'terraform').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).problems[0]).toMatchObject({
      file: join(dir, 'main.tf'),
      line: 3,
      column: 1,
    });
  });

  it('refuses an interpolated constraint, as Terraform does, naming the field', async () => {
    const dir = module({ 'main.tf': `terraform {\n  required_version = "\${var.v}"\n}\n` });
    await expect(readRequiredVersion(dir, 'terraform')).rejects.toThrow(
      /main\.tf:2:3: terraform\.required_version: must be a literal string/,
    );
  });
});
