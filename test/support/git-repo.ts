import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A real git repository in a temp dir, for tests that commit and diff. */
export class TempRepo {
  readonly dir: string;

  constructor(dir?: string) {
    this.dir = dir ?? mkdtempSync(join(tmpdir(), 'glidepath-git-'));
    if (!dir) {
      this.git('init', '--quiet', '--initial-branch=main');
      this.git('config', 'user.email', 'test@example.com');
      this.git('config', 'user.name', 'glidepath test');
      this.git('config', 'commit.gpgsign', 'false');
    }
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  write(files: Record<string, string>): this {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(this.dir, path)), { recursive: true });
      writeFileSync(join(this.dir, path), content);
    }
    return this;
  }

  remove(...paths: string[]): this {
    for (const p of paths) rmSync(join(this.dir, p), { recursive: true, force: true });
    return this;
  }

  /** Stages everything and commits; returns the new commit's SHA. */
  commit(message: string): string {
    this.git('add', '-A');
    this.git('commit', '--quiet', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD').trim();
  }

  /** A `--depth` clone over file:// (a plain path would ignore the depth), as actions/checkout makes. */
  shallowClone(depth: number): TempRepo {
    const target = mkdtempSync(join(tmpdir(), 'glidepath-clone-'));
    execFileSync('git', ['clone', '--quiet', `--depth=${depth}`, `file://${this.dir}`, target], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new TempRepo(target);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
