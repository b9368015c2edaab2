import * as core from '@actions/core';
import { type ConfigProblem, formatProblem, isConfigurationError } from '../config/errors.js';

// GitHub shows at most 10 error annotations per step; the rest stay in the log.
const ANNOTATION_LIMIT = 10;

/** Emits each problem as an error annotation on its file and line. */
export function annotateProblems(problems: ConfigProblem[], title = 'glidepath configuration'): void {
  problems.forEach((problem, i) => {
    if (i >= ANNOTATION_LIMIT) {
      core.info(formatProblem(problem));
      return;
    }
    const message = problem.field ? `${problem.field}: ${problem.message}` : problem.message;
    core.error(message, {
      title,
      file: problem.file,
      startLine: problem.line,
      startColumn: problem.column,
    });
  });
}

/**
 * Ends a step for any error: the user's mistakes as annotations on their
 * files and one clear message; our bugs with the stack in the debug log.
 */
export function failStep(e: unknown): void {
  if (isConfigurationError(e)) {
    annotateProblems(e.problems);
    // Each problem is already an error annotation on its file; core.setFailed would add the same
    // text a second time as a file-less annotation (and count against the 10 per step).
    if (e.problems.length === 0) core.setFailed(e.message);
    else {
      core.info(e.message);
      process.exitCode = core.ExitCode.Failure;
    }
    return;
  }
  core.debug(e instanceof Error ? (e.stack ?? e.message) : String(e));
  core.setFailed(e instanceof Error ? e.message : String(e));
}
