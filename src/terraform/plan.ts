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
  /**
   * The deposed key of an object left behind by a create-before-destroy
   * replacement whose create failed: the plan deletes that old object, not
   * the live instance at `address` ("deposed object KEY will be destroyed").
   */
  deposed?: string;
}

/** A `check` block or condition result (format 1.1+ `checks`) that did not pass. */
export interface CheckProblem {
  address: string;
  status: 'fail' | 'error' | 'unknown';
  messages: string[];
}

/** One entry of `relevant_attributes`: an attribute of a resource that the planned changes depend on. */
export interface RelevantAttribute {
  resource: string;
  attribute: (string | number)[];
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
  /** Checks that failed or errored; checks still unknown until apply are left out. */
  checks: CheckProblem[];
  /**
   * What Terraform shows of `resource_drift` in a normal plan: only these
   * attributes. Undefined for plans older than format 1.1, whose Terraform
   * showed all drift.
   */
  relevantAttributes?: RelevantAttribute[];
  /** False when the plan was made with no state at all (nothing applied yet: no `prior_state`). */
  hasPriorState: boolean;
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

function kindOf(actions: string[], where: () => string): ChangeKind {
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
        `${where()}: unknown actions [${actions.join(', ')}]; expected one of create, update, delete, read, no-op, forget, [delete, create], [create, delete]`,
      );
  }
}

/**
 * Masks are used as Terraform wrote them (booleans nested in objects and
 * arrays): every reader treats anything but `true` as unmarked, so nothing is
 * copied (copying them doubled the cost of reading a large plan).
 */
function mask(value: unknown): Mask {
  if (value === undefined || value === null) return false;
  return value as Mask;
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

/** `where` is built only for an error message: a large plan has thousands of entries. */
function resourceChange(raw: unknown, where: () => string): ResourceChange {
  if (!isObject(raw) || !isObject(raw.change) || !Array.isArray(raw.change.actions)) {
    throw new ConfigurationError(
      `${where()}: expected an object with change.actions, found ${JSON.stringify(raw)?.slice(0, 80)}`,
    );
  }
  const change = raw.change;
  const actions = (change.actions as unknown[]).map(String);
  const importing = isObject(change.importing) ? change.importing : undefined;
  const address = addressOf(raw);
  const previousAddress = typeof raw.previous_address === 'string' ? raw.previous_address : undefined;
  const values = valueChange(change);
  const result: ResourceChange = {
    before: values.before,
    after: values.after,
    afterUnknown: values.afterUnknown,
    beforeSensitive: values.beforeSensitive,
    afterSensitive: values.afterSensitive,
    address,
    moduleAddress: typeof raw.module_address === 'string' ? raw.module_address : '',
    mode: raw.mode === 'data' ? 'data' : 'managed',
    type: String(raw.type ?? ''),
    name: String(raw.name ?? ''),
    providerName: String(raw.provider_name ?? ''),
    kind: kindOf(actions, () => `${where()} (${address})`),
    actions,
    importing: importing !== undefined,
    moved: previousAddress !== undefined && previousAddress !== address,
    replacePaths: Array.isArray(change.replace_paths) ? (change.replace_paths as (string | number)[][]) : [],
  };
  if (previousAddress) result.previousAddress = previousAddress;
  if (typeof raw.action_reason === 'string') result.actionReason = raw.action_reason;
  if (importing && typeof importing.id === 'string') result.importingId = importing.id;
  if (typeof raw.deposed === 'string' && raw.deposed !== '') result.deposed = raw.deposed;
  return result;
}

function checkProblems(raw: unknown): CheckProblem[] {
  if (!Array.isArray(raw)) return [];
  const out: CheckProblem[] = [];
  for (const check of raw) {
    if (!isObject(check)) continue;
    const status = check.status;
    if (status !== 'fail' && status !== 'error') continue;
    const address = isObject(check.address) ? String(check.address.to_display ?? '') : '';
    const messages: string[] = [];
    for (const instance of Array.isArray(check.instances) ? check.instances : []) {
      if (!isObject(instance) || !Array.isArray(instance.problems)) continue;
      for (const problem of instance.problems)
        if (isObject(problem) && typeof problem.message === 'string') messages.push(problem.message);
    }
    out.push({ address, status, messages });
  }
  return out;
}

function relevantAttributes(doc: Raw): RelevantAttribute[] | undefined {
  const raw = doc.relevant_attributes;
  if (Array.isArray(raw)) {
    return raw.filter(isObject).map((r) => ({
      resource: String(r.resource ?? ''),
      attribute: Array.isArray(r.attribute) ? (r.attribute as (string | number)[]) : [],
    }));
  }
  // Terraform writes the key only when non-empty (omitempty) since format 1.1.
  const [major, minor] = String(doc.format_version).split('.').map(Number);
  return (major ?? 0) > 1 || ((major ?? 0) === 1 && (minor ?? 0) >= 1) ? [] : undefined;
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
    kind: kindOf((raw.actions as unknown[]).map(String), () => `output_changes.${name}`),
    sensitive,
  };
}

/**
 * Text of a plan file as the user saved it. Windows PowerShell 5.1's `>`
 * writes UTF-16LE with a byte-order mark (Out-File's default encoding
 * "Unicode"); other editors save UTF-8 with a BOM; PowerShell 7 and shells
 * write plain UTF-8. (learn.microsoft.com/powershell/module/microsoft.powershell.utility/out-file)
 */
export function decodePlanBytes(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  // UTF-16LE without a BOM: `{` followed by a NUL byte.
  if (bytes[0] === 0x7b && bytes[1] === 0x00) return new TextDecoder('utf-16le').decode(bytes);
  return new TextDecoder('utf-8').decode(bytes); // strips a UTF-8 BOM
}

interface UiMessage {
  type?: unknown;
  '@message'?: unknown;
  changes?: { add?: number; change?: number; remove?: number; import?: number; operation?: string };
}

/**
 * `terraform plan -json` (and `apply -json`) does not print a plan document:
 * it streams Terraform's machine-readable UI, one JSON message per line, each
 * with `@level`, `@message`, `@timestamp` and a `type` such as `version`,
 * `planned_change` or `change_summary`
 * (developer.hashicorp.com/terraform/internals/machine-readable-ui).
 */
function uiStreamHint(lines: string[]): string | undefined {
  const messages: UiMessage[] = [];
  for (const line of lines) {
    try {
      const m = JSON.parse(line) as Record<string, unknown>;
      if (!isObject(m) || !('@message' in m) || !('type' in m)) return undefined;
      messages.push(m as UiMessage);
    } catch {
      return undefined;
    }
  }
  const summary = messages.find((m) => m.type === 'change_summary')?.changes;
  const said = summary
    ? ` It says: ${summary.add ?? 0} to add, ${summary.change ?? 0} to change, ${summary.remove ?? 0} to destroy${summary.import ? `, ${summary.import} to import` : ''}.`
    : '';
  return `found the machine-readable log of \`terraform plan -json\` (${messages.length} UI messages, one per line), not a plan document.${said} Save the plan with \`terraform plan -out=tfplan\` and render \`terraform show -json tfplan\``;
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
    hint =
      uiStreamHint(lines) ??
      `found ${lines.length} JSON documents, one per line (as \`terragrunt show --all -json\` writes); render each unit's plan separately`;
  }
  return new ConfigurationError([{ file: source, message: `not a Terraform plan: ${hint}` }]);
}

/** Parses `show -json` output into the plan model, with a clear error for anything else. */
export function parsePlan(input: string, source = 'plan JSON'): Plan {
  // A BOM survives a `readFile(path, 'utf8')`; JSON.parse refuses it.
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
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
    resourceChanges: list('resource_changes').map((r, i) =>
      resourceChange(r, () => `resource_changes[${i}]`),
    ),
    drift: list('resource_drift').map((r, i) => resourceChange(r, () => `resource_drift[${i}]`)),
    outputChanges: Object.entries(outputs).map(([name, raw]) => outputChange(name, raw)),
    errored: doc.errored === true,
    ...(typeof doc.applyable === 'boolean' ? { applyable: doc.applyable } : {}),
    checks: checkProblems(doc.checks),
    hasPriorState: isObject(doc.prior_state),
    ...(() => {
      const relevant = relevantAttributes(doc);
      return relevant ? { relevantAttributes: relevant } : {};
    })(),
  };
}

/**
 * Deletes or replaces a live object. Deleting a deposed object is not: it is
 * the old half of a replacement that already happened (Terraform: "left over
 * from a partially-failed replacement of this instance").
 */
export function isDestructive(change: ResourceChange): boolean {
  if (change.deposed) return false;
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
