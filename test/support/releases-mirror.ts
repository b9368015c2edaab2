import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as openpgp from 'openpgp';
import { zip } from './zip.js';

/**
 * A local releases mirror on 127.0.0.1 in either vendor's layout: HashiCorp's
 * (`/index.json`, `/<v>/terraform_<v>_<os>_<arch>.zip`, `_SHA256SUMS`, `.sig`)
 * or OpenTofu's (`/api.json`, `/v<v>/tofu_...`, `.gpgsig`). Archives are real
 * zip files holding a tiny shell script that answers `version` like the real
 * binary; SHA256SUMS are real; signatures are made with a key the test generates.
 */

export interface MirrorOptions {
  tool: 'terraform' | 'tofu';
  versions: string[];
  os?: string;
  arch?: string;
  /** Armored private key: sign each SHA256SUMS with it. */
  signingKey?: string;
}

export class ReleasesMirror {
  readonly requests: string[] = [];
  readonly files = new Map<string, Buffer>();
  url = '';
  private server: Server | undefined;

  static async start(options: MirrorOptions): Promise<ReleasesMirror> {
    const mirror = new ReleasesMirror();
    await mirror.populate(options);
    mirror.server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      mirror.requests.push(path);
      const body = mirror.files.get(path);
      if (!body) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('Not Found');
        return;
      }
      res.writeHead(200, { 'content-length': String(body.length) });
      res.end(body);
    });
    await new Promise<void>((resolve) => mirror.server?.listen(0, '127.0.0.1', resolve));
    mirror.url = `http://127.0.0.1:${(mirror.server.address() as AddressInfo).port}`;
    return mirror;
  }

  private async populate(o: MirrorOptions): Promise<void> {
    const os = o.os ?? 'linux';
    const arch = o.arch ?? 'amd64';
    const key = o.signingKey ? await openpgp.readPrivateKey({ armoredKey: o.signingKey }) : undefined;
    const hashicorp: Record<string, unknown> = {};
    const tofu: { id: string; files: string[] }[] = [];
    for (const version of o.versions) {
      const dir = o.tool === 'terraform' ? `/${version}` : `/v${version}`;
      const archive = `${o.tool}_${version}_${os}_${arch}.zip`;
      const script = `#!/bin/sh\necho "${o.tool === 'terraform' ? 'Terraform' : 'OpenTofu'} v${version}"\necho "on ${os}_${arch}"\n`;
      const zipped = zip([
        { name: o.tool, data: Buffer.from(script), mode: 0o755 },
        { name: 'LICENSE.txt', data: Buffer.from('test archive\n') },
      ]);
      const sumsName = `${o.tool}_${version}_SHA256SUMS`;
      const sums = `${createHash('sha256').update(zipped).digest('hex')}  ${archive}\n${'0'.repeat(64)}  ${o.tool}_${version}_windows_386.zip\n`;
      this.files.set(`${dir}/${archive}`, zipped);
      this.files.set(`${dir}/${sumsName}`, Buffer.from(sums));
      const sigName = o.tool === 'terraform' ? `${sumsName}.sig` : `${sumsName}.gpgsig`;
      if (key) {
        const signature = await openpgp.sign({
          message: await openpgp.createMessage({ binary: new Uint8Array(Buffer.from(sums)) }),
          signingKeys: key,
          detached: true,
          format: 'binary',
        });
        this.files.set(`${dir}/${sigName}`, Buffer.from(signature as Uint8Array));
      }
      hashicorp[version] = {
        name: o.tool,
        version,
        shasums: sumsName,
        ...(key ? { shasums_signature: sigName, shasums_signatures: [sigName] } : {}),
        builds: [
          {
            name: o.tool,
            version,
            os,
            arch,
            filename: archive,
            url: `https://releases.hashicorp.com/terraform/${version}/${archive}`,
          },
        ],
      };
      tofu.push({
        id: version,
        files: [archive, sumsName, ...(key ? [sigName, `${sumsName}.sig`, `${sumsName}.pem`] : [])],
      });
    }
    if (o.tool === 'terraform')
      this.files.set('/index.json', Buffer.from(JSON.stringify({ name: 'terraform', versions: hashicorp })));
    else this.files.set('/api.json', Buffer.from(JSON.stringify({ versions: tofu.reverse() })));
  }

  /** Flips bytes in a version's archive, keeping SHA256SUMS as it was. */
  tamper(path: string): void {
    const data = this.files.get(path);
    if (!data) throw new Error(`no file ${path} in the mirror`);
    const copy = Buffer.from(data);
    copy[copy.length - 30] = (copy[copy.length - 30] ?? 0) ^ 0xff;
    this.files.set(path, copy);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

export async function generateSigningKey(): Promise<{ privateKey: string; publicKey: string }> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    userIDs: [{ name: 'glidepath test releases' }],
    format: 'armored',
  });
  return { privateKey, publicKey };
}
