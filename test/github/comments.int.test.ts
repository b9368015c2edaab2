import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findStickyComment, stickyMarker, upsertStickyComment } from '../../src/github/comments.js';
import { createOctokit } from '../../src/github/octokit.js';
import { FakeGitHub } from '../support/fake-github.js';

const repo = { owner: 'acme', repo: 'platform' };

describe('sticky comment against a fake GitHub checked with its OpenAPI description', () => {
  let fake: FakeGitHub;
  beforeAll(async () => {
    fake = await FakeGitHub.start();
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('is created once, then updated in place, never duplicated', async () => {
    const octokit = createOctokit(fake.token, fake.url);
    const pr = fake.addPullRequest('acme', 'platform', { headSha: 'a'.repeat(40) });
    await octokit.rest.issues.createComment({
      ...repo,
      issue_number: pr,
      body: 'an unrelated review comment',
    });
    const first = await upsertStickyComment(octokit, repo, pr, 'infra/prod:default', 'plan one');
    const second = await upsertStickyComment(octokit, repo, pr, 'infra/prod:default', 'plan two');
    const other = await upsertStickyComment(octokit, repo, pr, 'infra/staging:default', 'staging plan');
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
    const stored = fake.repoComments('acme', 'platform').filter((c) => c.issue_number === pr);
    expect(stored).toHaveLength(3);
    expect(stored.find((c) => c.id === first.id)?.body).toBe(
      `${stickyMarker('infra/prod:default')}\nplan two`,
    );
    expect((await findStickyComment(octokit, repo, pr, 'infra/prod:default'))?.body).toContain('plan two');
    expect(fake.rejections).toEqual([]);
  });

  it('finds its comment beyond the first page of comments', async () => {
    const octokit = createOctokit(fake.token, fake.url);
    const pr = fake.addPullRequest('acme', 'platform', { headSha: 'b'.repeat(40) });
    await upsertStickyComment(octokit, repo, pr, 'k', 'v1');
    for (let i = 0; i < 120; i++)
      fake.repoComments('acme', 'platform').push({ id: fake.newId(), issue_number: pr, body: `noise ${i}` });
    await upsertStickyComment(octokit, repo, pr, 'k', 'v2');
    const mine = fake
      .repoComments('acme', 'platform')
      .filter((c) => c.issue_number === pr && c.body.includes('glidepath:sticky'));
    expect(mine).toHaveLength(1);
    expect(mine[0]?.body).toContain('v2');
  });

  it('rejects what GitHub would reject', async () => {
    const octokit = createOctokit(fake.token, fake.url);
    const pr = fake.addPullRequest('acme', 'platform', { headSha: 'c'.repeat(40) });
    await expect(
      octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        ...repo,
        issue_number: pr,
        body: 42 as unknown as string,
      }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(octokit.request('GET /repos/{owner}/{repo}/no-such-thing', repo)).rejects.toMatchObject({
      status: 404,
    });
    await expect(
      createOctokit('wrong', fake.url).rest.issues.get({ ...repo, issue_number: pr }),
    ).rejects.toMatchObject({ status: 401 });
    expect(fake.rejections.map((r) => r.reason)).toEqual([
      expect.stringMatching(/request body: \/body must be string/),
      expect.stringMatching(/Not Found/),
      'Bad credentials',
    ]);
    fake.rejections.length = 0;
  });

  it('lets a test register another operation, and refuses one GitHub does not have', async () => {
    fake.route('GET', '/repos/{owner}/{repo}/deployments', () => ({ status: 200, body: [{ id: 1 }] }));
    const { data } = await createOctokit(fake.token, fake.url).rest.repos.listDeployments(repo);
    expect(data).toEqual([{ id: 1 }]);
    expect(() => fake.route('GET', '/repos/{owner}/{repo}/made-up', () => ({ status: 200 }))).toThrow(
      /not an operation/,
    );
  });
});
