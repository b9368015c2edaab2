import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  data: Buffer;
  /** Unix permissions, kept by `unzip` (the exec bit of a release's binary); default 0644. */
  mode?: number;
}

/**
 * A real ZIP archive. Layout from PKWARE's APPNOTE.TXT: a local header and the data per entry,
 * then the central directory and its end record. `deflate` as GitHub serves an artifact's
 * `archive_download_url` (docs.github.com/rest/actions/artifacts#download-an-artifact); `store`
 * as the smallest archive a release mirror needs.
 */
export function zip(entries: ZipEntry[], method: 'store' | 'deflate' = 'store'): Buffer {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const nameBytes = Buffer.from(entry.name, 'utf8');
    const packed = method === 'deflate' ? deflateRawSync(entry.data) : entry.data;
    const crc = crc32(entry.data);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    header.writeUInt16LE(0x0800, 6); // UTF-8 names
    header.writeUInt16LE(method === 'deflate' ? 8 : 0, 8);
    header.writeUInt16LE(0, 10); // time
    header.writeUInt16LE(0x21, 12); // date: 1980-01-01
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(packed.length, 18);
    header.writeUInt32LE(entry.data.length, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    local.push(header, nameBytes, packed);

    const record = Buffer.alloc(46);
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, so the external attributes are a mode
    record.writeUInt16LE(20, 6);
    record.writeUInt16LE(0x0800, 8);
    record.writeUInt16LE(method === 'deflate' ? 8 : 0, 10);
    record.writeUInt16LE(0x21, 14);
    record.writeUInt32LE(crc, 16);
    record.writeUInt32LE(packed.length, 20);
    record.writeUInt32LE(entry.data.length, 24);
    record.writeUInt16LE(nameBytes.length, 28);
    record.writeUInt32LE(((0o100000 | (entry.mode ?? 0o644)) << 16) >>> 0, 38);
    record.writeUInt32LE(offset, 42);
    central.push(record, nameBytes);
    offset += header.length + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, directory, end]);
}

/** `files` as a deflated ZIP, the way GitHub serves an artifact. */
export function zipFiles(files: Record<string, Buffer>): Buffer {
  return zip(
    Object.entries(files).map(([name, data]) => ({ name, data })),
    'deflate',
  );
}
