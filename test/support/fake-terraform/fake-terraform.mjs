// A stand-in for the terraform / tofu binary that replays a recorded real
// `show -json` plan (FAKE_TERRAFORM_PLAN) with the real binary's contract:
// the same subcommands and flags, flag errors, `-chdir`, the `.terraform`
// directory init creates, plan files, -detailed-exitcode 0/1/2, and the
// "Saved plan is stale" refusal when the state changed after planning.
// FAKE_TERRAFORM_LOG, when set, receives one JSON line per invocation.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

const VERSION = process.env.FAKE_TERRAFORM_VERSION ?? '1.9.8';
let args = process.argv.slice(2);
let cwd = process.cwd();
if (args[0]?.startsWith('-chdir=')) {
  cwd = resolve(cwd, args[0].slice('-chdir='.length));
  args = args.slice(1);
}
const [command, ...rest] = args;
if (process.env.FAKE_TERRAFORM_LOG) {
  const env = Object.fromEntries(
    ['TF_IN_AUTOMATION', 'TF_INPUT', 'TF_WORKSPACE', 'TF_CLI_ARGS']
      .filter((k) => k in process.env)
      .map((k) => [k, process.env[k]]),
  );
  appendFileSync(
    process.env.FAKE_TERRAFORM_LOG,
    `${JSON.stringify({ args: process.argv.slice(2), cwd, env })}\n`,
  );
}

function fail(message, code = 1) {
  process.stderr.write(`\nError: ${message}\n\n`);
  process.exit(code);
}

/** Parses flags the way Go's flag package does: -name or -name=value, stops at the first positional. */
function flags(list, allowed) {
  const values = {};
  const positional = [];
  for (const arg of list) {
    if (positional.length === 0 && arg.startsWith('-')) {
      const [name, ...v] = arg.replace(/^--?/, '').split('=');
      if (!allowed.includes(name)) {
        process.stderr.write(`flag provided but not defined: -${name}\n`);
        fail(`Failed to parse command-line flags: flag provided but not defined: -${name}`);
      }
      const value = v.length ? v.join('=') : true;
      values[name] = name in values ? [].concat(values[name], value) : value;
    } else positional.push(arg);
  }
  return { values, positional };
}

const dotTerraform = join(cwd, '.terraform');
const serialFile = join(dotTerraform, 'fake-state-serial');
const serial = () => (existsSync(serialFile) ? Number(readFileSync(serialFile, 'utf8')) : 1);

function recordedPlan() {
  const file = process.env.FAKE_TERRAFORM_PLAN;
  if (!file) fail('fake terraform: FAKE_TERRAFORM_PLAN is not set (the recorded show -json to replay)');
  return { file, text: readFileSync(file, 'utf8') };
}

function changesIn(doc, refreshOnly) {
  if (refreshOnly) return (doc.resource_drift ?? []).length > 0;
  const resources = (doc.resource_changes ?? []).some(
    (c) => !(c.change.actions.length === 1 && c.change.actions[0] === 'no-op'),
  );
  const outputs = Object.values(doc.output_changes ?? {}).some(
    (o) => !(o.actions.length === 1 && o.actions[0] === 'no-op'),
  );
  return resources || outputs;
}

switch (command) {
  case 'version': {
    const { values } = flags(rest, ['json']);
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ terraform_version: VERSION, platform: 'linux_amd64', provider_selections: {}, terraform_outdated: false }, null, 2)}\n`,
      );
    } else process.stdout.write(`Terraform v${VERSION}\non linux_amd64\n`);
    break;
  }
  case 'init': {
    const { values } = flags(rest, [
      'input',
      'no-color',
      'backend-config',
      'reconfigure',
      'upgrade',
      'lockfile',
      'backend',
    ]);
    for (const bc of [].concat(values['backend-config'] ?? [])) {
      if (!bc.includes('=') && !existsSync(resolve(cwd, bc)))
        fail(`Failed to read file\n\nThe file "${bc}" could not be read.`);
    }
    mkdirSync(dotTerraform, { recursive: true });
    process.stdout.write('\nInitializing the backend...\n\nTerraform has been successfully initialized!\n');
    break;
  }
  case 'workspace': {
    const [sub, ...more] = rest;
    const { values, positional } = flags(more, ['or-create']);
    if (sub !== 'select' || positional.length !== 1)
      fail('Usage: terraform [global options] workspace select [-or-create] NAME');
    if (!existsSync(dotTerraform)) fail('Backend initialization required, please run "terraform init"');
    const existing = join(dotTerraform, `workspace-${positional[0]}`);
    if (!existsSync(existing) && positional[0] !== 'default' && !values['or-create'])
      fail(`Workspace "${positional[0]}" doesn't exist.`);
    writeFileSync(existing, '');
    writeFileSync(join(dotTerraform, 'environment'), positional[0]);
    process.stdout.write(`Switched to workspace "${positional[0]}".\n`);
    break;
  }
  case 'validate': {
    const { values } = flags(rest, ['json', 'no-color']);
    if (values.json)
      process.stdout.write(
        `${JSON.stringify({ format_version: '1.0', valid: true, error_count: 0, warning_count: 0, diagnostics: [] })}\n`,
      );
    else process.stdout.write('Success! The configuration is valid.\n');
    break;
  }
  case 'plan': {
    const { values, positional } = flags(rest, [
      'out',
      'input',
      'no-color',
      'detailed-exitcode',
      'refresh-only',
      'var-file',
      'var',
      'lock-timeout',
      'destroy',
      'parallelism',
    ]);
    if (positional.length)
      fail(
        `Too many command line arguments\n\nTo specify a working directory for the plan, use the global -chdir flag.`,
      );
    if (!existsSync(dotTerraform)) fail('Backend initialization required, please run "terraform init"');
    for (const vf of [].concat(values['var-file'] ?? [])) {
      if (!existsSync(resolve(cwd, vf)))
        fail(`Failed to read variables file\n\nGiven variables file ${vf} does not exist.`);
    }
    const { file, text } = recordedPlan();
    const doc = JSON.parse(text);
    const textFile = join(dirname(file), 'text', basename(file).replace(/\.json$/, '.txt'));
    process.stdout.write(
      existsSync(textFile)
        ? readFileSync(textFile, 'utf8')
        : 'Terraform will perform the following actions:\n',
    );
    if (doc.errored) fail('the recorded plan errored');
    if (typeof values.out === 'string') {
      writeFileSync(
        resolve(cwd, values.out),
        JSON.stringify({ fakePlanOf: file, serial: serial(), refreshOnly: Boolean(values['refresh-only']) }),
      );
    }
    const changes = changesIn(doc, Boolean(values['refresh-only']));
    process.exit(values['detailed-exitcode'] && changes ? 2 : 0);
    break;
  }
  case 'show': {
    const { values, positional } = flags(rest, ['json', 'no-color']);
    if (positional.length !== 1)
      fail('show without a plan file would show the state; the fake only replays plans');
    const planPath = resolve(cwd, positional[0]);
    if (!existsSync(planPath))
      fail(
        `Failed to read the given file as a state or plan file\n\nopen ${positional[0]}: no such file or directory`,
      );
    const saved = JSON.parse(readFileSync(planPath, 'utf8'));
    const text = readFileSync(saved.fakePlanOf, 'utf8');
    process.stdout.write(
      values.json
        ? `${JSON.stringify(JSON.parse(text))}\n`
        : 'Terraform will perform the following actions:\n',
    );
    break;
  }
  case 'apply': {
    const { positional } = flags(rest, ['input', 'no-color', 'auto-approve', 'lock-timeout', 'parallelism']);
    if (positional.length !== 1)
      fail('apply without a saved plan would ask for approval; glidepath applies saved plans only');
    const planPath = resolve(cwd, positional[0]);
    if (!existsSync(planPath)) fail(`Failed to load "${positional[0]}" as a plan file`);
    const saved = JSON.parse(readFileSync(planPath, 'utf8'));
    if (saved.serial !== serial()) {
      fail(
        'Saved plan is stale\n\nThe given plan file can no longer be applied because the state was changed by another operation after the plan was created.',
      );
    }
    mkdirSync(dotTerraform, { recursive: true });
    writeFileSync(serialFile, String(serial() + 1));
    process.stdout.write('\nApply complete! Resources: 0 added, 0 changed, 0 destroyed.\n');
    break;
  }
  default:
    process.stderr.write(`Terraform has no command named "${command}".\n`);
    process.exit(1);
}
