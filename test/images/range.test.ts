import { describe, expect, it } from 'vitest';
import { resolveRange } from '../../src/images/range.js';

const sha = 'a'.repeat(40);

describe('base and head from the event', () => {
  it('a pull request compares its base with the merge commit', () => {
    const r = resolveRange({
      eventName: 'pull_request',
      sha,
      payload: { pull_request: { base: { sha: 'b1' } } },
    });
    expect(r).toMatchObject({ kind: 'diff', base: 'b1', head: sha });
  });

  it('a push compares before with after', () => {
    const r = resolveRange({
      eventName: 'push',
      sha,
      payload: { ref: 'refs/heads/main', before: 'b0', after: sha },
    });
    expect(r).toMatchObject({ kind: 'diff', base: 'b0', head: sha });
  });

  it('a new branch (all-zero before) builds everything and says why', () => {
    const r = resolveRange({
      eventName: 'push',
      sha,
      payload: { ref: 'refs/heads/x', before: '0'.repeat(40) },
    });
    expect(r).toMatchObject({ kind: 'all', reason: expect.stringMatching(/new branch/) });
  });

  it('workflow_dispatch and schedule build everything', () => {
    expect(resolveRange({ eventName: 'workflow_dispatch', sha, payload: {} }).kind).toBe('all');
    expect(resolveRange({ eventName: 'schedule', sha, payload: {} }).kind).toBe('all');
  });

  it('explicit inputs win over the event', () => {
    const r = resolveRange({ eventName: 'workflow_dispatch', sha, payload: {} }, { base: 'x', head: 'y' });
    expect(r).toMatchObject({ kind: 'diff', base: 'x', head: 'y' });
  });
});
