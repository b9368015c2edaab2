import { describe, expect, it } from 'vitest';
import { computeTags, sanitiseTag } from '../../src/images/tags.js';

const base = {
  sha: '0123456789abcdef0123456789abcdef01234567',
  title: 'payments',
  source: 'https://github.com/acme/shop',
  now: new Date('2026-01-02T03:04:05Z'),
};

describe('image tags', () => {
  it('a release tag gives the version, its moving tags and latest', () => {
    const t = computeTags({ ...base, ref: 'refs/tags/v1.2.3' });
    expect(t.tags).toEqual(['1.2.3', '1.2', '1', 'latest', 'sha-0123456']);
    expect(t.labels).toEqual({
      'org.opencontainers.image.source': 'https://github.com/acme/shop',
      'org.opencontainers.image.revision': base.sha,
      'org.opencontainers.image.created': '2026-01-02T03:04:05.000Z',
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.title': 'payments',
    });
  });

  it('a prerelease gets only its own version, never latest', () => {
    const t = computeTags({ ...base, ref: 'refs/tags/v2.0.0-rc.1' });
    expect(t.tags).toEqual(['2.0.0-rc.1', 'sha-0123456']);
    expect(t.version).toBe('2.0.0-rc.1');
  });

  it('a branch gets its sanitised name', () => {
    expect(computeTags({ ...base, ref: 'refs/heads/feature/Add login!' }).tags).toEqual([
      'feature-Add-login',
      'sha-0123456',
    ]);
  });

  it('a pull request and a bare commit get pr-N and the short sha', () => {
    expect(computeTags({ ...base, ref: 'refs/pull/42/merge' }).tags).toEqual(['pr-42', 'sha-0123456']);
    const bare = computeTags({ ...base, ref: '' });
    expect(bare.tags).toEqual(['sha-0123456']);
    expect(bare.labels['org.opencontainers.image.version']).toBe('sha-0123456');
  });

  it('a non-semver tag is kept as a sanitised tag', () => {
    expect(computeTags({ ...base, ref: 'refs/tags/release-2026.01' }).tags[0]).toBe('release-2026.01');
  });

  it('sanitised tags are always valid OCI tags', () => {
    for (const raw of [
      '.hidden',
      '-x',
      'a'.repeat(300),
      '///',
      'ü-branch',
      'dependabot/npm_and_yarn/zod-4.1',
    ]) {
      expect(sanitiseTag(raw)).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/);
    }
  });
});
