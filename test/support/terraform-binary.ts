import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { repoRoot } from './shared-fixtures.js';

/**
 * The real `terraform` (or `tofu`) binary where the machine has one, run with
 * a CLI configuration of the tests' own: providers only from the machine's
 * local plugin directory (a filesystem mirror, never a download), and no
 * checkpoint (upgrade) call. The environment may point TF_CLI_CONFIG_FILE at a
 * file that does not exist, which Terraform warns about on every command.
 * CLI configuration: https://developer.hashicorp.com/terraform/cli/config/config-file#provider-installation
 */

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export const terraformBinary = onPath('terraform') ?? onPath('tofu');
export const terraformTool: 'terraform' | 'tofu' | undefined = terraformBinary
  ? terraformBinary.endsWith('tofu')
    ? 'tofu'
    : 'terraform'
  : undefined;

/** Where the machine keeps providers in the filesystem-mirror layout, if anywhere. */
export const pluginMirror = [
  '/opt/tf-plugins',
  '/usr/share/terraform/plugins',
  '/usr/local/share/terraform/plugins',
].find(
  (dir) => existsSync(join(dir, 'registry.terraform.io')) || existsSync(join(dir, 'registry.opentofu.org')),
);

export function hasMirroredProvider(source: string): boolean {
  return (
    pluginMirror !== undefined &&
    (existsSync(join(pluginMirror, 'registry.terraform.io', source)) ||
      existsSync(join(pluginMirror, 'registry.opentofu.org', source)))
  );
}

export function skipNotice(what: string): string | undefined {
  if (terraformBinary) return undefined;
  const notice = `skipped: ${what} needs a terraform or tofu binary on PATH (none found)`;
  console.info(notice);
  return notice;
}

/** A CLI config allowing only the local mirror (no `direct` block: nothing is downloaded). */
export function terraformEnv(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'glidepath-tfrc-'));
  const file = join(dir, 'terraform.rc');
  writeFileSync(
    file,
    pluginMirror
      ? `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(pluginMirror)}\n  }\n}\n`
      : '',
  );
  return { TF_CLI_CONFIG_FILE: file, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
}

/** Copies a module of test/fixtures/terraform into `target`. */
export function copyModule(name: string, target: string): string {
  cpSync(join(repoRoot, 'test/fixtures/terraform', name), target, { recursive: true });
  return target;
}

/** Runs the binary directly, as a person at a terminal would (to move state on, or read it). */
export function terraform(cwd: string, env: Record<string, string>, ...args: string[]): string {
  if (!terraformBinary) throw new Error('no terraform binary');
  return execFileSync(terraformBinary, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The same without blocking the event loop: for a test whose stand-in servers run in this process. */
export function terraformAsync(cwd: string, env: Record<string, string>, ...args: string[]): Promise<string> {
  if (!terraformBinary) return Promise.reject(new Error('no terraform binary'));
  const binary = terraformBinary;
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      args,
      {
        cwd,
        env: { ...process.env, ...env },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: 170_000,
      },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

export interface TerraformCounts {
  add: number;
  change: number;
  destroy: number;
  replace: number;
}

/** Terraform's own counts of a `show -json` plan, as its "Plan: N to add" line counts managed resources. */
export function terraformCounts(showJson: string): TerraformCounts & { move: number } {
  const plan = JSON.parse(showJson) as {
    resource_changes?: {
      mode: string;
      address: string;
      previous_address?: string;
      change: { actions: string[] };
    }[];
  };
  const counts = { add: 0, change: 0, destroy: 0, replace: 0, move: 0 };
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode !== 'managed') continue;
    const actions = rc.change.actions.join(',');
    if (actions === 'create') counts.add++;
    else if (actions === 'update') counts.change++;
    else if (actions === 'delete') counts.destroy++;
    else if (actions === 'delete,create' || actions === 'create,delete') counts.replace++;
    if (rc.previous_address && rc.previous_address !== rc.address) counts.move++;
  }
  return counts;
}
