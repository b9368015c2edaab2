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

/** Picks the newest listed version that satisfies `spec`; prereleases only when asked for exactly. */
export function resolveVersion(spec: string | undefined, available: string[], field = 'version'): string {
  const valid = available.filter((v) => semver.valid(v));
  const stable = valid.filter((v) => semver.prerelease(v) === null);
  const wanted = (spec ?? '').trim();
  let found: string | null | undefined;
  if (wanted === '' || wanted === 'latest') {
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
