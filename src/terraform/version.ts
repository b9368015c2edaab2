import semver from 'semver';
import { ConfigurationError } from '../config/errors.js';

/**
 * Version choice, pure: a spec (exact, semver range, Terraform constraint such
 * as `~> 1.5, != 1.5.1`, or `latest`) against the versions a releases index lists.
 */

function terraformConstraint(part: string, field: string): (v: string) => boolean {
  const m = /^\s*(~>|>=|<=|!=|=|>|<)?\s*v?(\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z.-]+)?)\s*$/.exec(part);
  if (!m) {
    throw new ConfigurationError([
      {
        field,
        message: `cannot read the version constraint "${part.trim()}": expected e.g. "1.9.8", "~> 1.9", ">= 1.5, < 2.0"`,
      },
    ]);
  }
  const op = m[1] ?? '=';
  const raw = m[2] as string;
  const segments = raw.split('-')[0]?.split('.').length ?? 1;
  const full = semver.coerce(raw, { includePrerelease: true })?.version ?? raw;
  const base = raw.includes('-') ? `${full}-${raw.split('-').slice(1).join('-')}` : full;
  switch (op) {
    case '~>': {
      // Terraform's pessimistic operator: only the right-most given segment may grow.
      const [major, minor] = full.split('.').map(Number) as [number, number];
      const upper = segments <= 2 ? `${major + 1}.0.0` : `${major}.${minor + 1}.0`;
      return (v) => semver.gte(v, base) && semver.lt(v, upper);
    }
    case '>=':
      return (v) => semver.gte(v, base);
    case '<=':
      return (v) => semver.lte(v, base);
    case '>':
      return (v) => semver.gt(v, base);
    case '<':
      return (v) => semver.lt(v, base);
    case '!=':
      return (v) => !semver.eq(v, base);
    default:
      return (v) => semver.eq(v, base);
  }
}

/** Versions satisfying a Terraform `required_version` constraint (or a semver range). */
function satisfying(constraint: string, versions: string[], field: string): string[] {
  if (/~>|,|!=|^\s*=/.test(constraint) || !semver.validRange(constraint)) {
    const checks = constraint.split(',').map((p) => terraformConstraint(p, field));
    return versions.filter((v) => checks.every((check) => check(v)));
  }
  return versions.filter((v) => semver.satisfies(v, constraint));
}

/** The tfenv keywords that need the module's `required_version`. */
export function needsRequiredVersion(spec: string | undefined): boolean {
  const wanted = (spec ?? '').trim();
  return wanted === 'latest-allowed' || wanted === 'min-required';
}

/**
 * Picks the newest listed version that satisfies `spec`; prereleases only
 * when asked for exactly. Also the keywords tfenv users write in
 * `.terraform-version` (github.com/tfutils/tfenv README, "tfenv install"):
 * `latest:REGEX`, the newest version whose number matches the regular
 * expression (tfenv greps its remote list, prereleases included);
 * `latest-allowed`, the newest version the module's `required_version`
 * allows; `min-required`, the oldest version it allows.
 */
export function resolveVersion(
  spec: string | undefined,
  available: string[],
  field = 'version',
  requiredVersion?: string,
): string {
  const valid = available.filter((v) => semver.valid(v));
  const stable = valid.filter((v) => semver.prerelease(v) === null);
  const wanted = (spec ?? '').trim();
  let found: string | null | undefined;
  if (needsRequiredVersion(wanted)) {
    if (!requiredVersion?.trim()) {
      throw new ConfigurationError([
        {
          field,
          message: `"${wanted}" picks a version from the module's required_version, but no terraform block declares one: add required_version (e.g. ">= 1.5, < 2.0") or write a version`,
        },
      ]);
    }
    const allowed = semver.sort(satisfying(requiredVersion, stable, field));
    found = wanted === 'min-required' ? allowed[0] : allowed[allowed.length - 1];
  } else if (wanted.startsWith('latest:')) {
    let regex: RegExp;
    try {
      regex = new RegExp(wanted.slice('latest:'.length));
    } catch (e: unknown) {
      throw new ConfigurationError([
        {
          field,
          message: `"${wanted}": the regular expression after latest: does not compile (${e instanceof Error ? e.message : String(e)}); expected e.g. "latest:^1\\.9"`,
        },
      ]);
    }
    found = semver.rsort(valid.filter((v) => regex.test(v)))[0];
  } else if (wanted === '' || wanted === 'latest') {
    found = semver.maxSatisfying(stable, '*');
  } else if (semver.valid(wanted.replace(/^v/, ''))) {
    const exact = wanted.replace(/^v/, '');
    found = valid.find((v) => semver.eq(v, exact));
  } else if (/~>|,|!=|^\s*=/.test(wanted)) {
    const checks = wanted.split(',').map((p) => terraformConstraint(p, field));
    found = semver.rsort([...stable]).find((v) => checks.every((check) => check(v)));
  } else if (semver.validRange(wanted)) {
    found = semver.maxSatisfying(stable, wanted);
  } else {
    throw new ConfigurationError([
      {
        field,
        message: `"${wanted}" is not a version or range: expected e.g. "1.9.8", "^1.9", "~> 1.9" or "latest"`,
      },
    ]);
  }
  if (!found) {
    const newest = semver.maxSatisfying(stable, '*');
    throw new ConfigurationError([
      {
        field,
        message: `no release matches "${wanted || 'latest'}" (the index lists ${valid.length} versions${newest ? `, newest ${newest}` : ''}): pick a listed version or check releases-url`,
      },
    ]);
  }
  return found;
}
