import * as core from '@actions/core';
import { getExecOutput } from '@actions/exec';
import { which } from '@actions/io';
import { ConfigurationError } from '../config/errors.js';
import {
  type PlanOptions,
  type PlanOutcome,
  StalePlanError,
  TerraformCommandError,
  type TerraformRunner,
} from './runner.js';

export interface BinaryRunnerOptions {
  /** `terraform` or `tofu`, or a path to either. */
  binary: string;
  workingDirectory: string;
  env?: Record<string, string>;
  /** Fold each command's output into a log group (on in the action, off in the CLI). */
  group?: boolean;
}

/** Runs the real binary with the automation contract: no prompts, TF_IN_AUTOMATION, -no-color. */
export class BinaryRunner implements TerraformRunner {
  constructor(private readonly options: BinaryRunnerOptions) {}

  private async exec(args: string[], opts: { silent?: boolean; okCodes?: number[]; title?: string } = {}) {
    const path = await which(this.options.binary, false);
    if (!path) {
      throw new ConfigurationError(
        `${this.options.binary} was not found on PATH: install it first (actions/provision does, or set the version input), or set tool to the binary you have`,
      );
    }
    const run = async () => {
      const result = await getExecOutput(path, args, {
        cwd: this.options.workingDirectory,
        ignoreReturnCode: true,
        silent: opts.silent ?? false,
        env: {
          ...(process.env as Record<string, string>),
          TF_IN_AUTOMATION: '1',
          TF_INPUT: '0',
          ...this.options.env,
        },
      });
      if (!(opts.okCodes ?? [0]).includes(result.exitCode)) {
        const command = `${this.options.binary} ${args.join(' ')}`;
        if (/Saved plan is stale/.test(result.stderr)) {
          throw new StalePlanError(
            'the state changed after this plan was made (Terraform: "Saved plan is stale"): plan again and review the new plan',
          );
        }
        throw new TerraformCommandError(command, result.exitCode, result.stderr);
      }
      return result;
    };
    const title = opts.title ?? `${this.options.binary} ${args[0]}`;
    return this.options.group === false ? run() : core.group(title, run);
  }

  async version(): Promise<{ version: string; platform?: string }> {
    const { stdout } = await this.exec(['version', '-json'], { silent: true });
    const doc = JSON.parse(stdout) as { terraform_version?: string; platform?: string };
    if (!doc.terraform_version)
      throw new Error(`unexpected \`version -json\` output: ${stdout.slice(0, 200)}`);
    return { version: doc.terraform_version, ...(doc.platform ? { platform: doc.platform } : {}) };
  }

  async init(backendConfig: string[] = []): Promise<void> {
    await this.exec([
      'init',
      '-input=false',
      '-no-color',
      ...backendConfig.map((b) => `-backend-config=${b}`),
    ]);
  }

  async selectWorkspace(name: string): Promise<void> {
    await this.exec(['workspace', 'select', '-or-create', name]);
  }

  async validate(): Promise<void> {
    await this.exec(['validate', '-no-color']);
  }

  async plan(options: PlanOptions): Promise<PlanOutcome> {
    const args = ['plan', '-input=false', '-no-color', '-detailed-exitcode', `-out=${options.out}`];
    if (options.refreshOnly) args.push('-refresh-only');
    for (const f of options.varFiles ?? []) args.push(`-var-file=${f}`);
    const { exitCode } = await this.exec(args, { okCodes: [0, 2] });
    return { changes: exitCode === 2 };
  }

  async showJson(planFile: string): Promise<string> {
    const { stdout } = await this.exec(['show', '-json', '-no-color', planFile], { silent: true });
    return stdout;
  }

  async apply(planFile: string): Promise<void> {
    await this.exec(['apply', '-input=false', '-no-color', planFile]);
  }
}
