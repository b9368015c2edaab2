import { formatProblem, isConfigurationError } from '../config/errors.js';
import { importCommand, importUsage } from '../import/cli-import.js';
import { planRenderCommand } from '../terraform/cli-plan-render.js';
import { gateCommand, gateUsage } from './gate-command.js';
import { janitorCommand, janitorUsage } from './janitor-command.js';

interface Command {
  usage: string;
  run: (args: string[]) => Promise<number>;
}

/** Every `glidepath` sub-command; a new one is one line here. */
const commands: Record<string, Command> = {
  gate: { usage: gateUsage, run: gateCommand },
  janitor: { usage: janitorUsage, run: janitorCommand },
  import: { usage: importUsage, run: importCommand },
  'plan render': {
    usage:
      'glidepath plan render PLAN_JSON|- [--json]\n  Renders `terraform show -json` output as the Markdown of the PR comment (--json: the counts).',
    run: planRenderCommand,
  },
};

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(['Usage:', ...Object.values(commands).map((c) => `  ${c.usage}`)].join('\n'));
    return name ? 0 : 3;
  }
  const command = commands[name] ?? commands[`${name} ${rest[0]}`];
  if (!command) {
    console.error(`glidepath: unknown command "${name}"; one of: ${Object.keys(commands).join(', ')}`);
    return 3;
  }
  const args = commands[name] ? rest : rest.slice(1);
  try {
    return await command.run(args);
  } catch (e: unknown) {
    if (isConfigurationError(e)) {
      for (const problem of e.problems) console.error(`error: ${formatProblem(problem)}`);
      return 3;
    }
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    return 1;
  }
}
