/**
 * The seam over the terraform / tofu binary. One implementation runs the real
 * binary (binary-runner.ts); tests run it against a stand-in with the same
 * contract.
 */

export interface PlanOptions {
  /** Where to save the plan (`-out`). */
  out: string;
  varFiles?: string[];
  /** A refresh-only plan: what changed outside Terraform, nothing to do. */
  refreshOnly?: boolean;
}

export interface PlanOutcome {
  /** From -detailed-exitcode: 2 means the plan has changes (or drift, for refresh-only). */
  changes: boolean;
}

export interface TerraformRunner {
  /** `version -json`. */
  version(): Promise<{ version: string; platform?: string }>;
  /** `init -input=false` with each backend config as `-backend-config=`. */
  init(backendConfig?: string[]): Promise<void>;
  /** `workspace select -or-create NAME`. */
  selectWorkspace(name: string): Promise<void>;
  validate(): Promise<void>;
  plan(options: PlanOptions): Promise<PlanOutcome>;
  /** `show -json PLANFILE`: the text the plan model reads. Never logged: it holds sensitive values in clear. */
  showJson(planFile: string): Promise<string>;
  /** `apply PLANFILE`: applies exactly that saved plan, nothing else. */
  apply(planFile: string): Promise<void>;
}

/** Terraform refused to apply a saved plan because the state changed after it was made. */
export class StalePlanError extends Error {
  override readonly name = 'StalePlanError';
}

/** The binary ran and failed; the message carries its error text. */
export class TerraformCommandError extends Error {
  override readonly name = 'TerraformCommandError';
  constructor(
    readonly command: string,
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(
      `\`${command}\` failed with exit code ${exitCode}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(0, 20).join('\n')}` : ''}`,
    );
  }
}
