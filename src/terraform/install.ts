import { chmod, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as core from '@actions/core';
import * as tc from '@actions/tool-cache';
import { parse as parseHcl } from '@cdktf/hcl2json';
import * as openpgp from 'openpgp';
import { ConfigurationError } from '../config/errors.js';
import { sha256 } from './plan-hash.js';
import { downloadBaseFor, indexUrlFor, parseReleaseIndex, type Tool } from './releases.js';
import { vendorKey } from './vendor-keys.js';
import { resolveVersion } from './version.js';

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
): Promise<{ spec: string | undefined; source: string }> {
  if (options.version?.trim()) return { spec: options.version.trim(), source: 'the version input' };
  const fileName = options.tool === 'terraform' ? '.terraform-version' : '.opentofu-version';
  const file = await readIfExists(join(options.workingDirectory, fileName));
  const fromFile = file
    ?.split('\n')
    .find((l) => l.trim() && !l.trim().startsWith('#'))
    ?.trim();
  if (fromFile) return { spec: fromFile, source: fileName };
  let names: string[] = [];
  try {
    names = (await readdir(options.workingDirectory)).filter((n) => n.endsWith('.tf')).sort();
  } catch {
    throw new ConfigurationError([
      {
        field: 'working-directory',
        message: `${options.workingDirectory} does not exist: expected the root module's directory`,
      },
    ]);
  }
  for (const name of names) {
    const text = await readFile(join(options.workingDirectory, name), 'utf8');
    let doc: Record<string, unknown>;
    try {
      doc = (await parseHcl(name, text)) as Record<string, unknown>;
    } catch (e: unknown) {
      throw new ConfigurationError([
        { file: join(options.workingDirectory, name), message: `cannot parse HCL: ${String(e)}` },
      ]);
    }
    const blocks = Array.isArray(doc.terraform) ? (doc.terraform as Record<string, unknown>[]) : [];
    const constraint = blocks.map((b) => b.required_version).find((v): v is string => typeof v === 'string');
    if (constraint) return { spec: constraint, source: `required_version in ${name}` };
  }
  return { spec: undefined, source: 'latest' };
}

async function fetchText(url: string, what: string): Promise<string> {
  const response = await fetch(url);
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

/** Resolves, downloads, verifies, caches and puts terraform / tofu on PATH. */
export async function installTool(options: InstallOptions): Promise<Installed> {
  const os = options.os ?? platformOs();
  const arch = options.arch ?? platformArch();
  const { spec, source } = await versionSpec(options);
  const exact = spec && /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(spec) ? spec.replace(/^v/, '') : undefined;
  const binaryName = os === 'windows' ? `${options.tool}.exe` : options.tool;
  const fromCache = (version: string): Installed | undefined => {
    const dir = tc.find(options.tool, version, arch);
    if (!dir) return undefined;
    core.addPath(dir);
    return { tool: options.tool, version, dir, binary: join(dir, binaryName), fromCache: true, source };
  };
  // An exact version already in the tool cache needs no network at all.
  const cachedExact = exact ? fromCache(exact) : undefined;
  if (cachedExact) return cachedExact;

  const indexUrl = indexUrlFor(options.tool, options.releasesUrl);
  const index = parseReleaseIndex(
    await fetchText(indexUrl, 'releases index'),
    options.tool,
    downloadBaseFor(options.tool, options.releasesUrl),
    indexUrl,
  );
  const field = source === 'the version input' ? 'version' : source;
  const version = resolveVersion(spec, index.versions, field);
  core.info(`${options.tool} ${version} (from ${source}${spec ? `: ${spec}` : ''})`);
  const cached = fromCache(version);
  if (cached) return cached;

  const files = index.files(version, os, arch);
  const sums = await fetchText(files.sumsUrl, 'SHA256SUMS');
  const publicKey = options.publicKey ?? (options.releasesUrl ? undefined : vendorKey(options.tool));
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
  const dir = await tc.cacheDir(extracted, options.tool, version, arch);
  core.addPath(dir);
  return { tool: options.tool, version, dir, binary: join(dir, binaryName), fromCache: false, source };
}
