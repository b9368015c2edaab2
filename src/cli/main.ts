import packageJson from '../../package.json' with { type: 'json' };
import { formatProblem, isConfigurationError } from '../config/errors.js';
import { unreadableFile as cannotRead } from '../config/yaml-document.js';
import { importCommand, importUsage } from '../import/cli-import.js';
import { planRenderCommand, planRenderUsage } from '../terraform/cli-plan-render.js';
import { isUsageError } from './args.js';
import { EXIT, exitCodeTable } from './exit-codes.js';
import { gateCommand, gateUsage } from './gate-command.js';
import { janitorCommand, janitorUsage } from './janitor-command.js';
import { validateCommand, validateUsage } from './validate-command.js';

export interface Command {
  usage: string;
  run: (args: string[]) => Promise<number>;
}

/** Every `glidepath` sub-command; a new one is one line here. */
const commands: Record<string, Command> = {
  validate: { usage: validateUsage, run: validateCommand },
  gate: { usage: gateUsage, run: gateCommand },
  janitor: { usage: janitorUsage, run: janitorCommand },
  import: { usage: importUsage, run: importCommand },
  'plan render': { usage: planRenderUsage, run: planRenderCommand },
};

const globalUsage = `glidepath ${packageJson.version}: canary rollouts, SLO gates, plan rendering and imports from the command line.

Usage: glidepath COMMAND [options]   (glidepath COMMAND --help for one command)
${Object.values(commands)
  .map((c) => `  ${c.usage}`)
  .join('\n\n')}

Global options:
  --help, -h     this text (after a command: that command's usage)
  --version      the glidepath version
  --debug        show the stack trace of an unexpected error (also RUNNER_DEBUG=1)

${exitCodeTable}`;

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
};

/** Runs one command line; never throws, returns the exit code of the table above. */
export async function runCli(
  argv: string[],
  io: CliIo = processIo,
  /** Extra commands, for tests of the error handling. */
  extra: Record<string, Command> = {},
): Promise<number> {
  const table = { ...commands, ...extra };
  // Options after `--` belong to the command's positionals, never to us.
  const end = argv.indexOf('--');
  const own = end === -1 ? argv : argv.slice(0, end);
  const debug = own.includes('--debug') || io.env.RUNNER_DEBUG === '1';
  const args = argv.filter((a, i) => a !== '--debug' || (end !== -1 && i > end));
  const [name, ...rest] = args;
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(packageJson.version);
    return EXIT.ok;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const asked = rest[0] ? lookup(table, rest[0], rest.slice(1)) : undefined;
    io[name ? 'out' : 'err'](asked ? asked.command.usage : globalUsage);
    return name ? EXIT.ok : EXIT.usage;
  }
  const found = lookup(table, name, rest);
  const family = Object.keys(table).filter((key) => key.startsWith(`${name} `));
  if (!found && family.length > 0) {
    const subcommands = family.map((key) => key.slice(name.length + 1)).join(', ');
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(family.map((key) => (table[key] as Command).usage).join('\n\n'));
      return EXIT.ok;
    }
    io.err(
      `glidepath ${name}: ${rest[0] ? `unknown sub-command "${rest[0]}"` : 'needs a sub-command'}: use glidepath ${name} ${subcommands}`,
    );
    return EXIT.usage;
  }
  if (!found) {
    io.err(
      `glidepath: unknown command "${name}": use one of ${Object.keys(commands).join(', ')} (glidepath --help lists them)`,
    );
    return EXIT.usage;
  }
  const { command, args: commandArgs } = found;
  const beforeEnd =
    commandArgs.indexOf('--') === -1 ? commandArgs : commandArgs.slice(0, commandArgs.indexOf('--'));
  if (beforeEnd.includes('--help') || beforeEnd.includes('-h')) {
    io.out(command.usage);
    return EXIT.ok;
  }
  try {
    return await command.run(commandArgs);
  } catch (e: unknown) {
    if (isUsageError(e)) {
      io.err(`glidepath ${name}: ${e.message} (glidepath ${name} --help shows the usage)`);
      return EXIT.usage;
    }
    if (isConfigurationError(e)) {
      for (const problem of e.problems) io.err(`error: ${formatProblem(problem)}`);
      return EXIT.invalid;
    }
    const unreadable = unreadableFile(e);
    if (unreadable) {
      io.err(`error: ${unreadable}`);
      return EXIT.invalid;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.err(
      debug && e instanceof Error && e.stack
        ? e.stack
        : `glidepath ${name}: unexpected error: ${message.split('\n')[0]} (a bug; rerun with --debug for the stack trace and report it)`,
    );
    return EXIT.internal;
  }
}

function lookup(
  table: Record<string, Command>,
  name: string,
  rest: string[],
): { command: Command; args: string[] } | undefined {
  const two = rest[0] ? table[`${name} ${rest[0]}`] : undefined;
  if (two) return { command: two, args: rest.slice(1) };
  const one = table[name];
  return one ? { command: one, args: rest } : undefined;
}

/** A file a command could not read (ENOENT, EACCES, EISDIR): the user's mistake, one line. */
function unreadableFile(e: unknown): string | undefined {
  const error = e as { code?: unknown; path?: unknown } | null;
  if (typeof error?.path !== 'string' || typeof error.code !== 'string') return undefined;
  if (!['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR'].includes(error.code)) return undefined;
  return formatProblem(cannotRead(error.path, e));
}
