import { ConfigurationError } from '../config/errors.js';

/**
 * The typed model of `terraform show -json PLANFILE` / `tofu show -json PLANFILE`
 * (format_version 0.1 to 1.2). Pure: takes text, returns data.
 */

/** What will happen to one resource instance, with replace split by order. */
export type ChangeKind =
  | 'create'
  | 'update'
  | 'delete'
  | 'replace' // delete then create
  | 'replace-create-first' // create then delete (create_before_destroy)
  | 'read'
  | 'no-op'
  | 'forget';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A mask mirrors a value: `true` where the value (or everything below) is sensitive / unknown. */
export type Mask = boolean | Mask[] | { [key: string]: Mask };

export interface ValueChange {
  before: JsonValue;
  after: JsonValue;
  afterUnknown: Mask;
  beforeSensitive: Mask;
  afterSensitive: Mask;
}

export interface ResourceChange extends ValueChange {
  address: string;
  previousAddress?: string;
  /** `module.a.module.b`, or '' for the root module. */
  moduleAddress: string;
  mode: 'managed' | 'data';
  type: string;
  name: string;
  providerName: string;
  kind: ChangeKind;
  /** The raw `actions` list as Terraform wrote it. */
  actions: string[];
  actionReason?: string;
  importingId?: string;
  /** True when `importing` is present (an import block), whatever the action. */
  importing: boolean;
  moved: boolean;
  replacePaths: (string | number)[][];
}

export interface OutputChange extends ValueChange {
  name: string;
  kind: ChangeKind;
  sensitive: boolean;
}

export interface Plan {
  formatVersion: string;
  terraformVersion?: string;
  resourceChanges: ResourceChange[];
  /** Changes made outside Terraform, found while refreshing (resource_drift). */
  drift: ResourceChange[];
  outputChanges: OutputChange[];
  errored: boolean;
  applyable?: boolean;
}

export interface PlanCounts {
  add: number;
  change: number;
  destroy: number;
  replace: number;
  import: number;
  move: number;
  forget: number;
  read: number;
  drift: number;
  outputs: number;
}

type Raw = Record<string, unknown>;

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(actions: string[], where: string): ChangeKind {
  const key = actions.join(',');
  switch (key) {
    case 'create':
    case 'update':
    case 'delete':
    case 'read':
    case 'forget':
      return key;
    case 'no-op':
    case '':
      return 'no-op';
    case 'delete,create':
      return 'replace';
    case 'create,delete':
      return 'replace-create-first';
    default:
      throw new ConfigurationError(
        `${where}: unknown actions [${actions.join(', ')}]; expected one of create, update, delete, read, no-op, forget, [delete, create], [create, delete]`,
      );
  }
}

function mask(value: unknown): Mask {
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(mask);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v)]));
  return false;
}

/**
 * Plans of format 0.x carry no sensitivity masks at all (Terraform 0.12-0.14
 * wrote sensitive attributes in clear). Rather than print them, treat
 * attributes whose names say they are secrets as sensitive.
 */
const SECRET_NAME = /(^|_)(password|passwd|secret|token|private_key|api_key|access_key|credentials)(_|$)/i;

function guessMask(value: unknown): Mask {
  if (Array.isArray(value)) return value.map(guessMask);
  if (!isObject(value)) return false;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      SECRET_NAME.test(k) && typeof v !== 'boolean' && v !== null ? true : guessMask(v),
    ]),
  );
}

function valueChange(change: Raw): ValueChange {
  const unmasked = !('before_sensitive' in change) && !('after_sensitive' in change);
  return {
    before: (change.before ?? null) as JsonValue,
    after: (change.after ?? null) as JsonValue,
    afterUnknown: mask(change.after_unknown),
    beforeSensitive: unmasked ? guessMask(change.before) : mask(change.before_sensitive),
    afterSensitive: unmasked ? guessMask(change.after) : mask(change.after_sensitive),
  };
}

function addressOf(raw: Raw): string {
  if (typeof raw.address === 'string') return raw.address;
  // Terraform 1.0.0 wrote resource_drift entries without address/index.
  const mod = typeof raw.module_address === 'string' ? `${raw.module_address}.` : '';
  const prefix = raw.mode === 'data' ? 'data.' : '';
  const index =
    typeof raw.index === 'number'
      ? `[${raw.index}]`
      : typeof raw.index === 'string'
        ? `[${JSON.stringify(raw.index)}]`
        : '';
  return `${mod}${prefix}${String(raw.type)}.${String(raw.name)}${index}`;
}

function resourceChange(raw: unknown, where: string): ResourceChange {
  if (!isObject(raw) || !isObject(raw.change) || !Array.isArray(raw.change.actions)) {
    throw new ConfigurationError(
      `${where}: expected an object with change.actions, found ${JSON.stringify(raw)?.slice(0, 80)}`,
    );
  }
  const change = raw.change;
  const actions = (change.actions as unknown[]).map(String);
  const importing = isObject(change.importing) ? change.importing : undefined;
  const address = addressOf(raw);
  const previousAddress = typeof raw.previous_address === 'string' ? raw.previous_address : undefined;
  return {
    ...valueChange(change),
    address,
    ...(previousAddress ? { previousAddress } : {}),
    moduleAddress: typeof raw.module_address === 'string' ? raw.module_address : '',
    mode: raw.mode === 'data' ? 'data' : 'managed',
    type: String(raw.type ?? ''),
    name: String(raw.name ?? ''),
    providerName: String(raw.provider_name ?? ''),
    kind: kindOf(actions, `${where} (${address})`),
    actions,
    ...(typeof raw.action_reason === 'string' ? { actionReason: raw.action_reason } : {}),
    ...(importing && typeof importing.id === 'string' ? { importingId: importing.id } : {}),
    importing: importing !== undefined,
    moved: previousAddress !== undefined && previousAddress !== address,
    replacePaths: Array.isArray(change.replace_paths) ? (change.replace_paths as (string | number)[][]) : [],
  };
}

function outputChange(name: string, raw: unknown): OutputChange {
  if (!isObject(raw) || !Array.isArray(raw.actions)) {
    throw new ConfigurationError(`output_changes.${name}: expected an object with actions`);
  }
  const vc = valueChange(raw);
  // Format 0.1 has no masks for outputs but a `sensitive` flag.
  const sensitive = raw.sensitive === true || vc.afterSensitive === true || vc.beforeSensitive === true;
  return {
    ...vc,
    ...(sensitive ? { beforeSensitive: true, afterSensitive: true } : {}),
    name,
    kind: kindOf((raw.actions as unknown[]).map(String), `output_changes.${name}`),
    sensitive,
  };
}

/** Explains input that is close to a plan but is not one, the usual ways it goes wrong. */
function diagnose(text: string, source: string, parseError: string): ConfigurationError {
  const trimmed = text.trimStart();
  const lines = trimmed.split('\n').filter((l) => l.trim() !== '');
  let hint = `expected the output of \`terraform show -json PLANFILE\` (one JSON document); the JSON parser said: ${parseError}`;
  if (trimmed === '') hint = 'the file is empty; expected the output of `terraform show -json PLANFILE`';
  else if (trimmed.startsWith('[command]') || /^::(debug|set-output)/m.test(trimmed)) {
    hint =
      'found log lines from the hashicorp/setup-terraform wrapper around the JSON ([command]..., ::debug::); run with `terraform_wrapper: false` or redirect `terraform show -json` into a file';
  } else if (lines.length > 1 && lines.every((l) => l.trimStart().startsWith('{'))) {
    hint = `found ${lines.length} JSON documents, one per line (as \`terragrunt show --all -json\` writes); render each unit's plan separately`;
  }
  return new ConfigurationError([{ file: source, message: `not a Terraform plan: ${hint}` }]);
}

/** Parses `show -json` output into the plan model, with a clear error for anything else. */
export function parsePlan(text: string, source = 'plan JSON'): Plan {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e: unknown) {
    throw diagnose(text, source, e instanceof Error ? e.message : String(e));
  }
  if (!isObject(doc) || typeof doc.format_version !== 'string') {
    throw new ConfigurationError([
      {
        file: source,
        field: 'format_version',
        message:
          'not a Terraform plan: expected a JSON object with a "format_version" string, as `terraform show -json PLANFILE` writes',
      },
    ]);
  }
  const isPlan =
    'resource_changes' in doc ||
    'planned_values' in doc ||
    'output_changes' in doc ||
    'resource_drift' in doc;
  if (!isPlan) {
    const hint =
      'values' in doc ? ' (this looks like a state: `terraform show -json` without a plan file)' : '';
    throw new ConfigurationError([
      {
        file: source,
        message: `not a Terraform plan${hint}: expected resource_changes or planned_values; run \`terraform show -json PLANFILE\` on the file written by \`plan -out\``,
      },
    ]);
  }
  const list = (key: string): unknown[] => {
    const v = doc[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v))
      throw new ConfigurationError([
        { file: source, field: key, message: `expected an array, found ${typeof v}` },
      ]);
    return v;
  };
  const outputs = isObject(doc.output_changes) ? doc.output_changes : {};
  return {
    formatVersion: doc.format_version,
    ...(typeof doc.terraform_version === 'string' ? { terraformVersion: doc.terraform_version } : {}),
    resourceChanges: list('resource_changes').map((r, i) => resourceChange(r, `resource_changes[${i}]`)),
    drift: list('resource_drift').map((r, i) => resourceChange(r, `resource_drift[${i}]`)),
    outputChanges: Object.entries(outputs).map(([name, raw]) => outputChange(name, raw)),
    errored: doc.errored === true,
    ...(typeof doc.applyable === 'boolean' ? { applyable: doc.applyable } : {}),
  };
}

export function isDestructive(change: ResourceChange): boolean {
  return change.kind === 'delete' || change.kind === 'replace' || change.kind === 'replace-create-first';
}

/** Resource changes worth showing: everything but plain no-ops (an import or move is shown even as no-op). */
export function visibleChanges(plan: Plan): ResourceChange[] {
  return plan.resourceChanges.filter((c) => c.kind !== 'no-op' || c.importing || c.moved);
}

export function countChanges(plan: Plan): PlanCounts {
  const counts: PlanCounts = {
    add: 0,
    change: 0,
    destroy: 0,
    replace: 0,
    import: 0,
    move: 0,
    forget: 0,
    read: 0,
    drift: plan.drift.length,
    outputs: plan.outputChanges.filter((o) => o.kind !== 'no-op').length,
  };
  for (const c of plan.resourceChanges) {
    if (c.importing) counts.import++;
    if (c.moved) counts.move++;
    if (c.kind === 'create') counts.add++;
    else if (c.kind === 'update') counts.change++;
    else if (c.kind === 'delete') counts.destroy++;
    else if (c.kind === 'replace' || c.kind === 'replace-create-first') counts.replace++;
    else if (c.kind === 'forget') counts.forget++;
    else if (c.kind === 'read') counts.read++;
  }
  return counts;
}

/** True when applying would change infrastructure, state bindings or outputs. */
export function hasChanges(counts: PlanCounts): boolean {
  return (
    counts.add +
      counts.change +
      counts.destroy +
      counts.replace +
      counts.import +
      counts.move +
      counts.forget +
      counts.outputs >
    0
  );
}
