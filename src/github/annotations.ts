import * as core from '@actions/core';
import { type ConfigProblem, formatProblem } from '../config/errors.js';

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
