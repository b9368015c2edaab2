import { ConfigurationError } from '../config/errors.js';

/**
 * Where each vendor publishes releases, and the two index shapes:
 * HashiCorp's releases.hashicorp.com/<product>/index.json
 * (`{versions: {"1.9.8": {shasums, shasums_signature, builds: [...]}}}`) and
 * OpenTofu's get.opentofu.org/tofu/api.json (`{versions: [{id, files}]}`),
 * whose files are GitHub release assets. A mirror (`releases-url`) keeps the
 * vendor's layout under its own base URL.
 */

export type Tool = 'terraform' | 'tofu';

export interface ReleaseFiles {
  version: string;
  archive: string;
  archiveUrl: string;
  sumsUrl: string;
  /** Detached OpenPGP signature of the SHA256SUMS file, when the vendor published one. */
  signatureUrl?: string;
}

export interface ReleaseIndex {
  versions: string[];
  files(version: string, os: string, arch: string): ReleaseFiles;
}

export function defaultIndexUrl(tool: Tool): string {
  return tool === 'terraform'
    ? 'https://releases.hashicorp.com/terraform/index.json'
    : 'https://get.opentofu.org/tofu/api.json';
}

export function indexUrlFor(tool: Tool, releasesUrl: string | undefined): string {
  if (!releasesUrl) return defaultIndexUrl(tool);
  return `${releasesUrl.replace(/\/+$/, '')}/${tool === 'terraform' ? 'index.json' : 'api.json'}`;
}

type Raw = Record<string, unknown>;

function hashicorpIndex(doc: Raw, base: string, tool: Tool): ReleaseIndex {
  const versions = doc.versions as Record<string, Raw>;
  return {
    versions: Object.keys(versions),
    files(version, os, arch) {
      const entry = versions[version] ?? {};
      const archive = `${tool}_${version}_${os}_${arch}.zip`;
      const sums = typeof entry.shasums === 'string' ? entry.shasums : `${tool}_${version}_SHA256SUMS`;
      const sig = typeof entry.shasums_signature === 'string' ? entry.shasums_signature : undefined;
      return {
        version,
        archive,
        archiveUrl: `${base}/${version}/${archive}`,
        sumsUrl: `${base}/${version}/${sums}`,
        ...(sig ? { signatureUrl: `${base}/${version}/${sig}` } : {}),
      };
    },
  };
}

function opentofuIndex(doc: Raw, base: string, tool: Tool): ReleaseIndex {
  const list = (doc.versions as { id: string; files?: string[] }[]).filter((v) => typeof v.id === 'string');
  return {
    versions: list.map((v) => v.id.replace(/^v/, '')),
    files(version, os, arch) {
      const entry = list.find((v) => v.id.replace(/^v/, '') === version);
      const names = entry?.files ?? [];
      const archive = `${tool}_${version}_${os}_${arch}.zip`;
      const sums = `${tool}_${version}_SHA256SUMS`;
      // OpenTofu signs SHA256SUMS with GPG as .gpgsig (its .sig is a cosign signature).
      const sig = names.includes(`${sums}.gpgsig`) ? `${sums}.gpgsig` : undefined;
      const dir = `${base}/v${version}`;
      return {
        version,
        archive,
        archiveUrl: `${dir}/${archive}`,
        sumsUrl: `${dir}/${sums}`,
        ...(sig ? { signatureUrl: `${dir}/${sig}` } : {}),
      };
    },
  };
}

/** Reads either index shape; `downloadBase` is where the version folders live. */
export function parseReleaseIndex(
  text: string,
  tool: Tool,
  downloadBase: string,
  source: string,
): ReleaseIndex {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e: unknown) {
    throw new ConfigurationError([
      {
        field: 'releases-url',
        message: `${source} is not JSON (${e instanceof Error ? e.message : String(e)}): expected a releases index`,
      },
    ]);
  }
  const versions = (doc as Raw | null)?.versions;
  if (versions && typeof versions === 'object' && !Array.isArray(versions))
    return hashicorpIndex(doc as Raw, downloadBase, tool);
  if (Array.isArray(versions)) return opentofuIndex(doc as Raw, downloadBase, tool);
  throw new ConfigurationError([
    {
      field: 'releases-url',
      message: `${source} has no "versions": expected HashiCorp's index.json or OpenTofu's api.json shape`,
    },
  ]);
}

export function downloadBaseFor(tool: Tool, releasesUrl: string | undefined): string {
  if (releasesUrl) return releasesUrl.replace(/\/+$/, '');
  return tool === 'terraform'
    ? 'https://releases.hashicorp.com/terraform'
    : 'https://github.com/opentofu/opentofu/releases/download';
}
