// The members of an envelope's archive (tar.gz, zip), every one checked before any is used:
// an absolute name, a `..` segment, a backslash, a link, a device or a FIFO makes the whole
// envelope malformed (../shared/fixtures/adullact/README.md 7). Sizes are capped by what the
// bytes really inflate to, not by what headers declare. tar-stream and yauzl read them.
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import yauzl from 'yauzl';
import { DOCUMENT_CAP, MalformedEnvelope } from './types.js';

export interface ArchiveMember {
  readonly name: string;
  readonly bytes: Buffer;
}

/** Tar headers and padding beside the documents: room enough above the documents' cap. */
const ARCHIVE_SLACK = 4 * 1024 * 1024;

function checkName(name: string): void {
  if (name.includes('\\')) throw new MalformedEnvelope(`the member ${JSON.stringify(name)} has a backslash in its name`);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw new MalformedEnvelope(`the member ${JSON.stringify(name)} has an absolute name`);
  if (name.split('/').includes('..')) throw new MalformedEnvelope(`the member ${JSON.stringify(name)} climbs out of the archive (..)`);
}

/** gunzip, refusing a truncated stream, a bad CRC, or more than `cap` bytes out. */
export function gunzipCapped(bytes: Buffer, cap: number, what: string): Buffer {
  try {
    return zlib.gunzipSync(bytes, { maxOutputLength: cap });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) throw new MalformedEnvelope(`${what} inflates to more than ${cap} bytes`);
    throw new MalformedEnvelope(`${what} is not a sound gzip stream (${(error as Error).message})`);
  }
}

/** Whether bytes start as gzip does. */
export function isGzip(bytes: Buffer): boolean {
  return bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Whether bytes start as a zip does (a local file header). */
export function isZip(bytes: Buffer): boolean {
  return bytes.length > 4 && bytes.readUInt32LE(0) === 0x04034b50;
}

/** The files of a gzip'd tar, flat names kept as written (folders in names are refused by checkName's callers if they care). */
export async function tarGzMembers(bytes: Buffer): Promise<ArchiveMember[]> {
  const tarBytes = gunzipCapped(bytes, DOCUMENT_CAP + ARCHIVE_SLACK, 'the archive');
  const members: ArchiveMember[] = [];
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      try {
        checkName(header.name);
        if (header.type === 'directory') {
          stream.resume();
          stream.on('end', next);
          return;
        }
        if (header.type !== 'file' && header.type !== 'contiguous-file') throw new MalformedEnvelope(`the member ${JSON.stringify(header.name)} is a ${header.type}, not a file`);
      } catch (error) {
        reject(error);
        extract.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (data: unknown) => { const chunk = data as Buffer; size += chunk.length; chunks.push(chunk); });
      stream.on('end', () => {
        if (header.size !== undefined && size !== header.size) {
          reject(new MalformedEnvelope(`the member ${JSON.stringify(header.name)} holds ${size} bytes, not the ${header.size} its header says`));
          return;
        }
        members.push({ name: header.name, bytes: Buffer.concat(chunks) });
        next();
      });
      stream.on('error', reject);
    });
    extract.on('finish', resolve);
    extract.on('error', (error: Error) => reject(error instanceof MalformedEnvelope ? error : new MalformedEnvelope(`the tar archive is damaged (${error.message})`)));
  });
  Readable.from([tarBytes]).pipe(extract);
  await done;
  return members;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/** The files of a zip, each checked and read to its real size under the cap. */
export async function zipMembers(bytes: Buffer): Promise<ArchiveMember[]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true, validateEntrySizes: true, decodeStrings: true, strictFileNames: false }, (error, file) => {
      if (error || !file) reject(new MalformedEnvelope(`the zip is damaged (${error?.message ?? 'unreadable'})`));
      else resolve(file);
    });
  });
  const members: ArchiveMember[] = [];
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    const fail = (error: unknown) => {
      zip.close();
      const message = (error as Error).message;
      // yauzl checks names itself: said in the words of checkName.
      if (/invalid relative path|absolute path|invalid characters/.test(message)) reject(new MalformedEnvelope(`a member climbs out of the archive or has an absolute name (${message})`));
      else reject(error instanceof MalformedEnvelope ? error : new MalformedEnvelope(`the zip is damaged (${message})`));
    };
    zip.on('error', fail);
    zip.on('end', resolve);
    zip.on('entry', (entry: yauzl.Entry) => {
      try {
        checkName(entry.fileName);
        const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
        const isDirectory = entry.fileName.endsWith('/') || mode === S_IFDIR;
        if (isDirectory) { zip.readEntry(); return; }
        // Made on Unix, the mode says what it is; a link or device is refused. Made elsewhere, it is 0.
        if (mode !== 0 && mode !== S_IFREG) throw new MalformedEnvelope(`the member ${JSON.stringify(entry.fileName)} is not a plain file (a link or a device)`);
        if (entry.uncompressedSize > DOCUMENT_CAP) throw new MalformedEnvelope(`the member ${JSON.stringify(entry.fileName)} declares ${entry.uncompressedSize} bytes, above the ${DOCUMENT_CAP}-byte cap`);
      } catch (error) {
        fail(error);
        return;
      }
      zip.openReadStream(entry, (error, stream) => {
        if (error || !stream) { fail(error ?? new Error('unreadable member')); return; }
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > DOCUMENT_CAP + ARCHIVE_SLACK) { stream.destroy(new MalformedEnvelope(`the zip inflates to more than ${DOCUMENT_CAP + ARCHIVE_SLACK} bytes`)); return; }
          chunks.push(chunk);
        });
        stream.on('error', fail);
        stream.on('end', () => {
          members.push({ name: entry.fileName, bytes: Buffer.concat(chunks) });
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return members;
}
