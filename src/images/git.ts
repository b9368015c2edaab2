import { execFile } from 'node:child_process';

export class GitError extends Error {
  override readonly name = 'GitError';
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (exit ${exitCode}): ${stderr.trim()}`);
  }
}

/** The real `git` binary, run in one working directory. */
export class Git {
  constructor(readonly cwd: string) {}

  run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        'git',
        args,
        // Diffs of a thousand services run to megabytes; the default 1 MiB would cut them.
        { cwd: this.cwd, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } },
        (error, stdout, stderr) => {
          if (error) reject(new GitError(args, typeof error.code === 'number' ? error.code : null, stderr));
          else resolve(stdout);
        },
      );
    });
  }

  async hasCommit(rev: string): Promise<boolean> {
    try {
      await this.run(['cat-file', '-e', `${rev}^{commit}`]);
      return true;
    } catch (e: unknown) {
      if (e instanceof GitError) return false;
      throw e;
    }
  }

  async isShallow(): Promise<boolean> {
    return (await this.run(['rev-parse', '--is-shallow-repository'])).trim() === 'true';
  }

  async revParse(rev: string): Promise<string> {
    return (await this.run(['rev-parse', '--verify', `${rev}^{commit}`])).trim();
  }

  /** Paths (relative to `cwd`) that differ between two commits; renames count as a delete plus an add. */
  async changedFiles(base: string, head: string): Promise<string[]> {
    const out = await this.run(['diff', '--name-only', '--no-renames', '--relative', '-z', base, head, '--']);
    return out.split('\0').filter((p) => p !== '');
  }

  /** Files of a commit under `cwd`, relative to it. */
  async listFiles(rev: string, under = '.'): Promise<string[]> {
    const out = await this.run(['ls-tree', '-r', '--name-only', '-z', rev, '--', under]);
    return out.split('\0').filter((p) => p !== '');
  }

  /** A file's content at a commit, or undefined when it does not exist there. */
  async show(rev: string, path: string): Promise<string | undefined> {
    try {
      return await this.run(['show', `${rev}:./${path}`]);
    } catch (e: unknown) {
      if (e instanceof GitError) return undefined;
      throw e;
    }
  }
}
