import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * A mistake in how a command was called (an unknown option, a missing value,
 * a missing FILE), as opposed to a mistake inside a file: reported as one line
 * with the fix and exit code 64, apart from every gate verdict.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The command's usage line, shown after the message so the fix is on screen. */
    readonly usage?: string,
  ) {
    super(message);
  }
}

export function isUsageError(e: unknown): e is UsageError {
  return e instanceof UsageError;
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs<O extends Options> {
  values: {
    [K in keyof O]?: O[K] extends { multiple: true }
      ? string[]
      : O[K]['type'] extends 'boolean'
        ? boolean
        : string;
  };
  positionals: string[];
  /** True when --help or -h was given: the caller prints its usage and exits 0. */
  help: boolean;
}

/**
 * node:util parseArgs with `--help`/`-h` on every command and its errors
 * (ERR_PARSE_ARGS_UNKNOWN_OPTION, ERR_PARSE_ARGS_INVALID_OPTION_VALUE, ...)
 * turned into one-line UsageErrors instead of a TypeError with a stack.
 */
export function parseCommandArgs<O extends Options>(
  args: string[],
  options: O,
  usage: string,
  { positionals = true }: { positionals?: boolean } = {},
): ParsedArgs<O> {
  try {
    const { values, positionals: rest } = parseArgs({
      args,
      allowPositionals: positionals,
      strict: true,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    });
    const { help, ...own } = values as Record<string, unknown>;
    return { values: own as ParsedArgs<O>['values'], positionals: rest, help: help === true };
  } catch (e: unknown) {
    // Asking for help wins over any other mistake on the same line.
    if (args.includes('--help') || args.includes('-h'))
      return { values: {} as ParsedArgs<O>['values'], positionals: [], help: true };
    throw new UsageError(describeParseError(e, options), firstLine(usage));
  }
}

function describeParseError(e: unknown, options: Options): string {
  const code = (e as { code?: unknown }).code;
  const message = e instanceof Error ? e.message : String(e);
  const known = Object.entries(options)
    .map(([name, o]) => `--${name}${o.type === 'string' ? ' VALUE' : ''}`)
    .concat('--help');
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? message}: the options are ${known.join(', ')}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(message)
        ? `option ${option ?? ''} needs a value, e.g. ${option ?? ''}=VALUE`.replace(/\s+,/, ',')
        : `option ${option ?? ''} takes no value: write ${option ?? 'it'} alone`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']+)'/.exec(message)?.[1] ?? ''}: this command takes options only`;
    default:
      return firstLine(message);
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
