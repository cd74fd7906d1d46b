// Reading a wheel (a zip file) without unzip or Python: the central directory, then stored or deflated entries.
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

export interface WheelEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeader: number;
}

export class Wheel {
  private readonly fd: number;
  readonly entries: WheelEntry[];

  constructor(readonly file: string) {
    this.fd = openSync(file, 'r');
    try {
      this.entries = readCentralDirectory(this.fd, file);
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  find(test: (name: string) => boolean): WheelEntry | undefined {
    return this.entries.find((e) => test(e.name));
  }

  read(entry: WheelEntry): Buffer {
    const header = this.bytes(entry.localHeader, 30);
    if (header.readUInt32LE(0) !== 0x04034b50) throw new Error(`${this.file}: bad local header for ${entry.name}`);
    const start = entry.localHeader + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    const raw = this.bytes(start, entry.compressedSize);
    if (entry.method === 0) return raw;
    if (entry.method === 8) return inflateRawSync(raw);
    throw new Error(`${this.file}: ${entry.name} uses compression method ${entry.method} (only stored and deflate are read)`);
  }

  /** The .dist-info/METADATA text. */
  metadata(): string {
    const entry = this.find((n) => /^[^/]+\.dist-info\/METADATA$/.test(n));
    if (!entry) throw new Error(`${this.file}: no .dist-info/METADATA (is it a wheel?)`);
    return this.read(entry).toString('utf8');
  }

  close(): void {
    closeSync(this.fd);
  }

  private bytes(offset: number, length: number): Buffer {
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, done, length - done, offset + done);
      if (n === 0) throw new Error(`${this.file}: truncated`);
      done += n;
    }
    return buf;
  }
}

/** `Version:` and every `Requires-Dist:` of a METADATA file. */
export function parseMetadata(text: string): { name: string; version: string; requiresDist: string[] } {
  const field = (key: string) => text.split('\n').filter((l) => l.startsWith(`${key}: `)).map((l) => l.slice(key.length + 2).trim());
  return { name: field('Name')[0] ?? '', version: field('Version')[0] ?? '', requiresDist: field('Requires-Dist') };
}

function readCentralDirectory(fd: number, file: string): WheelEntry[] {
  const size = fstatSync(fd).size;
  const tailLength = Math.min(size, 65557);
  const tail = Buffer.alloc(tailLength);
  readSync(fd, tail, 0, tailLength, size - tailLength);
  const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error(`${file}: not a zip file (no end of central directory)`);
  const count = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  if (cdOffset === 0xffffffff || count === 0xffff) throw new Error(`${file}: zip64 archives are not supported`);
  const cd = Buffer.alloc(cdSize);
  readSync(fd, cd, 0, cdSize, cdOffset);
  const entries: WheelEntry[] = [];
  for (let p = 0, i = 0; i < count; i++) {
    if (cd.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: corrupt central directory`);
    const nameLength = cd.readUInt16LE(p + 28);
    entries.push({
      method: cd.readUInt16LE(p + 10),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localHeader: cd.readUInt32LE(p + 42),
      name: cd.toString('utf8', p + 46, p + 46 + nameLength),
    });
    p += 46 + nameLength + cd.readUInt16LE(p + 30) + cd.readUInt16LE(p + 32);
  }
  return entries;
}
