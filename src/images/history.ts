import { ConfigurationError } from '../config/errors.js';
import { type Git, GitError } from './git.js';

export interface EnsureCommitOptions {
  remote?: string;
  /** Commits to deepen by on each attempt; actions/checkout clones with depth 1 by default. */
  deepenSteps?: number[];
  log?: (message: string) => void;
}

export interface EnsureCommitResult {
  /** How the commit was found: already there, by deepening, or by fetching it directly. */
  how: 'present' | 'deepened' | 'fetched';
  deepenedBy: number;
}

/**
 * Makes sure `sha` is in the clone. A shallow clone is deepened in bounded steps (the base of a push
 * or pull request is usually a few commits back), then the commit is fetched by itself (enough for a
 * tree diff, and GitHub serves any commit by SHA); otherwise it fails saying what is missing.
 */
export async function ensureCommit(
  git: Git,
  sha: string,
  options: EnsureCommitOptions = {},
): Promise<EnsureCommitResult> {
  const remote = options.remote ?? 'origin';
  const log = options.log ?? (() => {});
  if (await git.hasCommit(sha)) return { how: 'present', deepenedBy: 0 };
  const shallow = await git.isShallow();
  let deepenedBy = 0;
  if (shallow) {
    for (const step of options.deepenSteps ?? [10, 100]) {
      log(`Base ${sha} is not in this shallow clone; deepening by ${step} commits`);
      try {
        await git.run(['fetch', '--no-tags', '--quiet', `--deepen=${step}`, remote]);
      } catch (e: unknown) {
        if (!(e instanceof GitError)) throw e;
        log(`Deepening failed: ${e.stderr.trim()}`);
        break;
      }
      deepenedBy += step;
      if (await git.hasCommit(sha)) return { how: 'deepened', deepenedBy };
      if (!(await git.isShallow())) break;
    }
  }
  log(`Fetching ${sha} from ${remote} directly`);
  try {
    await git.run(['fetch', '--no-tags', '--quiet', '--depth=1', remote, sha]);
    if (await git.hasCommit(sha)) return { how: 'fetched', deepenedBy };
  } catch (e: unknown) {
    if (!(e instanceof GitError)) throw e;
    log(`Fetching ${sha} failed: ${e.stderr.trim()}`);
  }
  const depth = shallow
    ? `this shallow clone (deepened by ${deepenedBy} commits) does not reach it`
    : 'it is not in this clone';
  throw new ConfigurationError([
    {
      field: 'base',
      message:
        `base commit ${sha} is missing: ${depth}, and fetching it from "${remote}" failed. ` +
        'Check out with `fetch-depth: 0` (actions/checkout), or a depth that covers the base, or pass an existing commit as `base`.',
    },
  ]);
}
