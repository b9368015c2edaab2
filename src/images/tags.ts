import semver from 'semver';

export interface TagInput {
  /** The git ref built, e.g. `refs/tags/v1.2.3`, `refs/heads/main`, `refs/pull/7/merge`. */
  ref: string;
  sha: string;
  /** Service name, for the title label. */
  title: string;
  /** Repository web URL, e.g. `https://github.com/acme/shop`. */
  source: string;
  now: Date;
}

export interface ImageTags {
  /** Tags without the image name, most specific first. */
  tags: string[];
  /** The OCI annotation keys, set as image labels. */
  labels: Record<string, string>;
  version: string;
}

// OCI distribution spec: a tag is [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
const TAG_MAX = 128;

/**
 * Tags the way release-minded teams expect: a release tag `v1.2.3` gives `1.2.3`, `1.2`, `1` and
 * `latest` (a prerelease only its full version, so `latest` and the moving tags never point at
 * a release candidate); a branch its sanitised name; a pull request `pr-N`; always `sha-<short>`.
 */
export function computeTags(input: TagInput): ImageTags {
  const short = `sha-${input.sha.slice(0, 7)}`;
  const tags: string[] = [];
  let version: string | undefined;
  const tag = /^refs\/tags\/(.+)$/.exec(input.ref)?.[1];
  const branch = /^refs\/heads\/(.+)$/.exec(input.ref)?.[1];
  const pr = /^refs\/pull\/(\d+)\//.exec(input.ref)?.[1];
  if (tag !== undefined) {
    const parsed = semver.parse(tag.replace(/^v(?=\d)/, ''));
    if (parsed) {
      version = parsed.version;
      tags.push(sanitiseTag(parsed.version));
      if (parsed.prerelease.length === 0) {
        tags.push(`${parsed.major}.${parsed.minor}`, `${parsed.major}`, 'latest');
      }
    } else {
      version = sanitiseTag(tag);
      tags.push(version);
    }
  } else if (branch !== undefined) {
    version = sanitiseTag(branch);
    tags.push(version);
  } else if (pr !== undefined) {
    version = `pr-${pr}`;
    tags.push(version);
  }
  tags.push(short);
  return {
    tags: [...new Set(tags)],
    version: version ?? short,
    labels: {
      'org.opencontainers.image.source': input.source,
      'org.opencontainers.image.revision': input.sha,
      'org.opencontainers.image.created': input.now.toISOString(),
      'org.opencontainers.image.version': version ?? short,
      'org.opencontainers.image.title': input.title,
    },
  };
}

/** Makes any string a valid OCI tag: invalid characters become `-`, no leading `.`/`-`, at most 128 characters. */
export function sanitiseTag(value: string): string {
  const cleaned = value
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, TAG_MAX)
    .replace(/[.-]+$/, '');
  return cleaned === '' ? 'untagged' : cleaned;
}
