/**
 * Every value a plan JSON marks sensitive (through before_sensitive /
 * after_sensitive masks or an output's `sensitive` flag), so tests can check
 * none of them reaches a rendered comment or a log.
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function leaves(value: Json | undefined, out: string[]): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) for (const v of value) leaves(v, out);
  else if (typeof value === 'object') for (const v of Object.values(value)) leaves(v, out);
  else out.push(String(value));
}

function collect(value: Json | undefined, mask: Json | undefined, out: string[]): void {
  if (mask === true) {
    leaves(value, out);
    return;
  }
  if (value === null || value === undefined || typeof mask !== 'object' || mask === null) return;
  if (Array.isArray(mask) && Array.isArray(value)) {
    for (const [i, m] of mask.entries()) collect(value[i], m, out);
  } else if (!Array.isArray(mask) && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, m] of Object.entries(mask)) collect(value[k], m, out);
  }
}

export function sensitiveValues(planJson: string): string[] {
  const doc = JSON.parse(planJson) as Record<string, Json>;
  const out: string[] = [];
  const changes = [...((doc.resource_changes as Json[]) ?? []), ...((doc.resource_drift as Json[]) ?? [])];
  for (const rc of changes) {
    const change = (rc as Record<string, Json>).change as Record<string, Json>;
    collect(change.before, change.before_sensitive, out);
    collect(change.after, change.after_sensitive, out);
  }
  for (const oc of Object.values((doc.output_changes as Record<string, Json>) ?? {})) {
    const o = oc as Record<string, Json>;
    if (o.sensitive === true) {
      leaves(o.before, out);
      leaves(o.after, out);
    }
    collect(o.before, o.before_sensitive, out);
    collect(o.after, o.after_sensitive, out);
  }
  return [...new Set(out)];
}
