/**
 * A mistake in what the user gave us (a config file, an input, a manifest), as
 * opposed to a bug of ours. Entry points report it as one clear message and a
 * GitHub annotation on the file; a bug keeps its stack trace for the debug log.
 */
export interface ConfigProblem {
  /** What is wrong and what would be valid, e.g. `max must be a number (got "high")`. */
  message: string;
  /** Dotted path of the offending field, e.g. `checks[2].max`. */
  field?: string;
  file?: string;
  /** 1-based line and column in `file`. */
  line?: number;
  column?: number;
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[] | string) {
    const list = typeof problems === 'string' ? [{ message: problems }] : problems;
    super(list.map(formatProblem).join('\n'));
    this.problems = list;
  }
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.file
    ? `${problem.file}${problem.line ? `:${problem.line}${problem.column ? `:${problem.column}` : ''}` : ''}: `
    : '';
  const field = problem.field ? `${problem.field}: ` : '';
  return `${where}${field}${problem.message}`;
}

export function isConfigurationError(e: unknown): e is ConfigurationError {
  return e instanceof ConfigurationError;
}

/**
 * Gathers the problems of several independent checks so that one run reports
 * them all: `collect(fn)` returns fn's result, or undefined when it threw a
 * ConfigurationError, whose problems join `problems`. Other errors (bugs) pass.
 */
export function problemCollector(): {
  problems: ConfigProblem[];
  collect: <T>(fn: () => T) => T | undefined;
} {
  const problems: ConfigProblem[] = [];
  const collect = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e: unknown) {
      if (!(e instanceof ConfigurationError)) throw e;
      problems.push(...e.problems);
      return undefined;
    }
  };
  return { problems, collect };
}
