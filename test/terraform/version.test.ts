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
