/**
 * The `glidepath` exit codes (README, "Exit codes"). Gate verdicts keep 0, 1
 * and 2; a bad file is 3; a command called wrongly is 64 and a bug of ours 70,
 * the sysexits.h codes EX_USAGE and EX_SOFTWARE, so a script can tell "the
 * release is bad" from "the pipeline is miswritten".
 */
export const EXIT = {
  /** Success; the gate passed. */
  ok: 0,
  /** The gate failed; a janitor cleanup failed. */
  failed: 1,
  /** The gate passed with warnings. */
  warn: 2,
  /** A file is invalid or unreadable (validate found problems). */
  invalid: 3,
  /** Unknown command or option, missing value or argument. */
  usage: 64,
  /** An unexpected error: a bug; rerun with --debug for the stack trace. */
  internal: 70,
} as const;

export const exitCodeTable = `Exit codes:
  0   success; the gate passed
  1   the gate failed; a janitor cleanup failed
  2   the gate passed with warnings
  3   a file is invalid or unreadable (every problem is listed)
  64  usage error: unknown command or option, missing value or argument
  70  unexpected error (a bug): rerun with --debug for the stack trace`;
