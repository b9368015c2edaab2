import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as core from '@actions/core';
import * as tc from '@actions/tool-cache';
import * as openpgp from 'openpgp';
import { ConfigurationError } from '../config/errors.js';
import { sha256 } from './plan-hash.js';
import { downloadBaseFor, indexUrlFor, parseReleaseIndex, type Tool } from './releases.js';
import { readRequiredVersion } from './required-version.js';
import { vendorKey } from './vendor-keys.js';
import { needsRequiredVersion, resolveVersion } from './version.js';

export interface InstallOptions {
  tool: Tool;
  /** The `version` input: exact, a range, or empty. */
  version?: string;
  /** The root module, where version files and `required_version` are looked for. */
  workingDirectory: string;
  releasesUrl?: string;
  /**
   * Armored OpenPGP public key that signs SHA256SUMS. Defaults to the
   * vendor's own key (HashiCorp or OpenTofu, fingerprints checked by a test)
   * for the official site; a mirror without a key given is trusted on its
   * checksums alone, with a warning, since it may re-sign.
   */
  publicKey?: string;
  os?: string;
  arch?: string;
}

export interface Installed {
  tool: Tool;
  version: string;
  /** Directory holding the binary, added to PATH. */
  dir: string;
  binary: string;
  fromCache: boolean;
  /** Where the version came from: input, a version file, required_version, or latest. */
  source: string;
}

export function platformOs(platform: string = process.platform): string {
  return platform === 'win32' ? 'windows' : platform;
}

export function platformArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' } as Record<string, string>)[arch] ?? arch;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** input > .terraform-version / .opentofu-version > required_version in the root module's *.tf > latest. */
export async function versionSpec(
  options: InstallOptions,
): Promise<{ spec: string | undefined; source: string; requiredVersion?: string }> {
  if (options.version?.trim()) return { spec: options.version.trim(), source: 'the version input' };
  const fileName = options.tool === 'terraform' ? '.terraform-version' : '.opentofu-version';
  const file = await readIfExists(join(options.workingDirectory, fileName));
  const fromFile = file
    ?.split('\n')
    .find((l) => l.trim() && !l.trim().startsWith('#'))
    ?.trim();
  // tfenv's latest-allowed / min-required also need the module's required_version.
  if (fromFile && !needsRequiredVersion(fromFile)) return { spec: fromFile, source: fileName };
  let required: Awaited<ReturnType<typeof readRequiredVersion>>;
  try {
    required = await readRequiredVersion(options.workingDirectory, options.tool);
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new ConfigurationError([
      {
        field: 'working-directory',
        message: `${options.workingDirectory} does not exist: expected the root module's directory`,
      },
    ]);
  }
  if (required && fromFile) return { spec: fromFile, source: fileName, requiredVersion: required.constraint };
  if (required)
    return { spec: required.constraint, source: `required_version in ${required.files.join(', ')}` };
  if (fromFile) return { spec: fromFile, source: fileName };
  return { spec: undefined, source: 'latest' };
}

async function fetchText(url: string, what: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e: unknown) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new Error(
      `downloading the ${what} from ${url} failed: ${cause ?? (e instanceof Error ? e.message : String(e))} (check releases-url and the runner's network)`,
    );
  }
  if (!response.ok) throw new Error(`downloading the ${what} from ${url} failed: HTTP ${response.status}`);
  return response.text();
}

async function verifySignature(sums: string, signatureUrl: string, armoredKey: string): Promise<void> {
  const response = await fetch(signatureUrl);
  if (!response.ok)
    throw new Error(`downloading the signature ${signatureUrl} failed: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const verificationKeys = await openpgp.readKey({ armoredKey });
  const signature = await openpgp.readSignature({ binarySignature: bytes });
  const message = await openpgp.createMessage({ binary: new TextEncoder().encode(sums) });
  const { signatures } = await openpgp.verify({ message, signature, verificationKeys });
  try {
    await signatures[0]?.verified;
    if (!signatures[0]) throw new Error('no signature in the file');
  } catch (e: unknown) {
    throw new Error(
      `the SHA256SUMS signature at ${signatureUrl} does not verify with the configured key: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/**
 * A binary in the tool cache is only as trustworthy as the cache: on a
 * self-hosted runner other jobs can write there. The install records the
 * SHA-256 of the binary it extracted from the verified archive; a later run
 * re-hashes the binary before it runs and refuses a mismatch. An entry with no
 * record (written by another tool) is installed afresh instead of trusted.
 */
const CACHE_RECORD = '.glidepath-install.json';

interface CacheRecord {
  binarySha256: string;
  archive: string;
  archiveSha256: string;
}

async function writeCacheRecord(dir: string, binary: string, verified: Omit<CacheRecord, 'binarySha256'>) {
  const record: CacheRecord = { binarySha256: sha256(await readFile(binary)), ...verified };
  await writeFile(join(dir, CACHE_RECORD), `${JSON.stringify(record, null, 2)}\n`);
}

async function cachedBinaryMatches(dir: string, binary: string): Promise<boolean> {
  let record: CacheRecord;
  try {
    record = JSON.parse(await readFile(join(dir, CACHE_RECORD), 'utf8')) as CacheRecord;
  } catch {
    core.info(`${dir} holds no checksum record of glidepath's: installing afresh instead of trusting it`);
    return false;
  }
  let actual: string;
  try {
    actual = sha256(await readFile(binary));
  } catch {
    return false;
  }
  if (actual !== record.binarySha256) {
    throw new Error(
      `refusing the cached ${binary}: its SHA-256 is ${actual}, but it was ${record.binarySha256} when installed from the verified ${record.archive} (sha256 ${record.archiveSha256}); the tool cache was modified: delete ${dir} to install afresh`,
    );
  }
  return true;
}

/** Resolves, downloads, verifies, caches and puts terraform / tofu on PATH. */
export async function installTool(options: InstallOptions): Promise<Installed> {
  const os = options.os ?? platformOs();
  const arch = options.arch ?? platformArch();
  const { spec, source, requiredVersion } = await versionSpec(options);
  const exact = spec && /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(spec) ? spec.replace(/^v/, '') : undefined;
  const binaryName = os === 'windows' ? `${options.tool}.exe` : options.tool;
  const fromCache = async (version: string): Promise<Installed | undefined> => {
    const dir = tc.find(options.tool, version, arch);
    if (!dir) return undefined;
    const binary = join(dir, binaryName);
    if (!(await cachedBinaryMatches(dir, binary))) return undefined;
    core.addPath(dir);
    return { tool: options.tool, version, dir, binary, fromCache: true, source };
  };
  // An exact version already in the tool cache needs no network at all.
  const cachedExact = exact ? await fromCache(exact) : undefined;
  if (cachedExact) return cachedExact;

  const indexUrl = indexUrlFor(options.tool, options.releasesUrl);
  const index = parseReleaseIndex(
    await fetchText(indexUrl, 'releases index'),
    options.tool,
    downloadBaseFor(options.tool, options.releasesUrl),
    indexUrl,
  );
  const field = source === 'the version input' ? 'version' : source;
  const version = resolveVersion(spec, index.versions, field, requiredVersion);
  core.info(`${options.tool} ${version} (from ${source}${spec ? `: ${spec}` : ''})`);
  const cached = await fromCache(version);
  if (cached) return cached;

  const files = index.files(version, os, arch);
  const sums = await fetchText(files.sumsUrl, 'SHA256SUMS');
  const publicKey = options.publicKey ?? (options.releasesUrl ? undefined : vendorKey(options.tool));
  if (publicKey && !files.signatureUrl) {
    throw new Error(
      `refusing ${options.tool} ${version}: a public key is configured (${options.publicKey ? 'releases-public-key' : `the vendor's own key for ${options.tool}`}) but ${indexUrl} publishes no signature of ${files.sumsUrl}, so the checksums cannot be trusted; publish the detached signature beside SHA256SUMS in the mirror, or remove releases-public-key to trust the checksums alone`,
    );
  }
  if (files.signatureUrl) {
    if (publicKey) {
      await verifySignature(sums, files.signatureUrl, publicKey);
      core.info(`SHA256SUMS signature verified (${files.signatureUrl})`);
    } else {
      core.warning(
        `SHA256SUMS is signed (${files.signatureUrl}) but no public key is configured: only the checksum was verified`,
      );
    }
  }
  const expected = sums
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find(([, name]) => name?.replace(/^\*/, '') === files.archive)?.[0];
  if (!expected)
    throw new Error(
      `SHA256SUMS at ${files.sumsUrl} has no entry for ${files.archive}: no build for ${os}/${arch}?`,
    );
  const archivePath = await tc.downloadTool(files.archiveUrl);
  const actual = sha256(await readFile(archivePath));
  if (actual !== expected.toLowerCase()) {
    throw new Error(
      `refusing ${files.archive}: its SHA-256 is ${actual}, but SHA256SUMS says ${expected} (tampered or corrupt download from ${files.archiveUrl})`,
    );
  }
  const extracted = await tc.extractZip(archivePath);
  if (os !== 'windows') await chmod(join(extracted, binaryName), 0o755);
  await writeCacheRecord(extracted, join(extracted, binaryName), {
    archive: files.archive,
    archiveSha256: actual,
  });
  const dir = await tc.cacheDir(extracted, options.tool, version, arch);
  core.addPath(dir);
  return { tool: options.tool, version, dir, binary: join(dir, binaryName), fromCache: false, source };
}
