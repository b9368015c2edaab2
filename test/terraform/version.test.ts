import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/config/errors.js';
import { resolveVersion } from '../../src/terraform/version.js';

const listed = ['1.5.7', '1.6.0', '1.6.6', '1.7.0-rc1', '1.7.5', '1.8.0', '1.9.8', '1.10.0-alpha1'];

describe('version resolution', () => {
  it.each([
    [undefined, '1.9.8'],
    ['latest', '1.9.8'],
    ['1.6.0', '1.6.0'],
    ['v1.6.6', '1.6.6'],
    ['1.7.0-rc1', '1.7.0-rc1'],
    ['^1.6', '1.9.8'],
    ['~1.6', '1.6.6'],
    ['~> 1.6', '1.9.8'],
    ['~> 1.6.0', '1.6.6'],
    ['>= 1.5, < 1.7', '1.6.6'],
    ['~> 1.6.0, != 1.6.6', '1.6.0'],
    ['= 1.5.7', '1.5.7'],
  ])('%s resolves to %s', (spec, expected) => {
    expect(resolveVersion(spec, listed)).toBe(expected);
  });

  it('names what is missing and what is there', () => {
    expect(() => resolveVersion('2.0.0', listed)).toThrow(ConfigurationError);
    expect(() => resolveVersion('~> 3.0', listed, 'required_version in main.tf')).toThrow(
      'required_version in main.tf: no release matches "~> 3.0" (the index lists 8 versions, newest 1.9.8)',
    );
    expect(() => resolveVersion('banana', listed)).toThrow(/"banana" is not a version or range/);
  });
});

describe('tfenv keywords in .terraform-version', () => {
  it.each([
    ['latest:^1\\.6', undefined, '1.6.6'],
    ['latest:^1.7', undefined, '1.7.5'],
    ['latest:^1\\.10', undefined, '1.10.0-alpha1'],
    ['latest-allowed', '>= 1.5, < 1.8', '1.7.5'],
    ['latest-allowed', '~> 1.6.0', '1.6.6'],
    ['min-required', '>= 1.6', '1.6.0'],
    ['min-required', '~> 1.7', '1.7.5'],
  ])('%s (required_version %s) resolves to %s', (spec, required, expected) => {
    expect(resolveVersion(spec, listed, '.terraform-version', required)).toBe(expected);
  });

  it('says what latest-allowed and min-required need, and rejects a bad regex', () => {
    expect(() => resolveVersion('min-required', listed, '.terraform-version')).toThrow(
      /\.terraform-version: "min-required" picks a version from the module's required_version, but no terraform block declares one/,
    );
    expect(() => resolveVersion('latest:(', listed, '.terraform-version')).toThrow(
      /the regular expression after latest: does not compile/,
    );
    expect(() => resolveVersion('latest:^3', listed, '.terraform-version')).toThrow(/no release matches/);
  });
});

describe('tfenv keywords read from the root module', () => {
  it('pairs latest-allowed / min-required in .terraform-version with the module’s required_version', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { versionSpec } = await import('../../src/terraform/install.js');
    const dir = mkdtempSync(join(tmpdir(), 'glidepath-tfenv-'));
    writeFileSync(join(dir, '.terraform-version'), 'min-required\n');
    writeFileSync(join(dir, 'main.tf'), 'terraform {\n  required_version = ">= 1.6, < 1.8"\n}\n');
    const found = await versionSpec({ tool: 'terraform', workingDirectory: dir });
    expect(found).toEqual({
      spec: 'min-required',
      source: '.terraform-version',
      requiredVersion: '>= 1.6, < 1.8',
    });
    expect(resolveVersion(found.spec, listed, found.source, found.requiredVersion)).toBe('1.6.0');
    writeFileSync(join(dir, '.terraform-version'), 'latest:^1\\.5\n');
    expect(await versionSpec({ tool: 'terraform', workingDirectory: dir })).toEqual({
      spec: 'latest:^1\\.5',
      source: '.terraform-version',
    });
  });
});
