import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncTrackingIssue, TRACKING_LABEL } from '../../src/github/issues.js';
import { createOctokit } from '../../src/github/octokit.js';
import { FakeGitHub } from '../support/fake-github.js';

const repo = { owner: 'acme', repo: 'platform' };

describe('drift tracking issue lifecycle', () => {
  let fake: FakeGitHub;
  beforeAll(async () => {
    fake = await FakeGitHub.start();
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('opens, updates, leaves other keys alone, and closes when clean', async () => {
    const octokit = createOctokit(fake.token, fake.url);
    const sync = (key: string, body: string | undefined) =>
      syncTrackingIssue(octokit, repo, {
        key,
        title: `Drift in ${key}`,
        body,
        closingComment: 'No drift any more.',
      });

    const opened = await sync('infra/prod:default', 'drift one');
    expect(opened.action).toBe('opened');
    const updated = await sync('infra/prod:default', 'drift two');
    expect(updated).toMatchObject({ action: 'updated', number: opened.number });
    const other = await sync('infra/staging:default', 'staging drift');
    expect(other.number).not.toBe(opened.number);

    const issues = fake.repoIssues('acme', 'platform');
    expect(issues.filter((i) => i.state === 'open')).toHaveLength(2);
    const prod = issues.find((i) => i.number === opened.number);
    expect(prod?.body).toContain('drift two');
    expect(prod?.labels).toEqual([TRACKING_LABEL]);

    const closed = await sync('infra/prod:default', undefined);
    expect(closed).toMatchObject({ action: 'closed', number: opened.number });
    expect(prod?.state).toBe('closed');
    expect(fake.repoComments('acme', 'platform').find((c) => c.issue_number === opened.number)?.body).toBe(
      'No drift any more.',
    );
    expect((await sync('infra/prod:default', undefined)).action).toBe('none');
    expect(issues.find((i) => i.number === other.number)?.state).toBe('open');

    const reopened = await sync('infra/prod:default', 'drift again');
    expect(reopened.action).toBe('opened');
    expect(fake.rejections).toEqual([]);
  });
});
