// Writing one output file so that nobody ever sees half of it and nothing is overwritten:
// the bytes go to a temporary file in the writer's staging directory (below the root of
// the output tree, so on the same file system: see Staging), hashed on the way
// (sha256 for the sidecar, sha512 for the downstream identity), made durable (in a batch
// with the other files of the moment: durability.ts, or alone by an fsync), then linked
// under the final name, which fails rather than replace a file already there. A name
// that belongs to another writer, or holds other bytes, is passed over for a suffix
// derived from the message and part, so a retry of the message chooses the same name
// again; a name that is its own and holds the same bytes means the file is there already
// (an earlier try got that far) and nothing more is written.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { makeDurable, type SyncMethod } from './durability.js';

export interface PlacedFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  /** base64, as sr3 writes identities */
  readonly sha512: string;
  /** the same bytes were already under that name: nothing was written */
  readonly alreadyPresent: boolean;
}

/** Room kept in a name for `~0123abcd-99` and `.json`. */
export const SUFFIX_RESERVE_BYTES = 18;

const FILE_MODE = 0o644;

/** Temporary files of a writer live in `<root>/.mailpump-staging/<writer>/`: never a name an attachment can take. */
export const STAGING_FOLDER = '.mailpump-staging';

/**
 * Where one writer (a decode thread of an instance, or an instance's main thread) stages
 * its files: `root` is the fixed part of the output directory, above any `${...}`, so
 * that the staging directory and the target are on one file system for link(). Each
 * writer has a directory of its own, so that a writer that died (a thread replaced, an
 * instance killed) leaves nothing anyone else may be using, and it is removed whole.
 */
export interface Staging {
  readonly root: string;
  readonly writer: string;
}

export function stagingDirectory(staging: Staging): string {
  return path.join(staging.root, STAGING_FOLDER, staging.writer);
}

/** Removes the staging directories of `root` whose writer is `writer` or starts with `writer` + '.'. */
export function removeStaging(root: string, writer: string): void {
  const folder = path.join(root, STAGING_FOLDER);
  let entries: string[];
  try {
    entries = fs.readdirSync(folder);
  } catch {
    return; // nothing was ever staged there
  }
  for (const entry of entries) {
    if (entry === writer || entry.startsWith(`${writer}.`)) fs.rmSync(path.join(folder, entry), { recursive: true, force: true });
  }
}

/** Whether two directories are on one file system (a link between them works), by directory pair; both are made when missing. */
const sameDevice = new Map<string, boolean>();
function onSameDevice(a: string, b: string): boolean {
  const key = `${a}\u0000${b}`;
  let same = sameDevice.get(key);
  if (same === undefined) {
    fs.mkdirSync(a, { recursive: true });
    fs.mkdirSync(b, { recursive: true });
    same = fs.statSync(a).dev === fs.statSync(b).dev;
    if (sameDevice.size > 10_000) sameDevice.clear();
    sameDevice.set(key, same);
  }
  return same;
}

/**
 * Temporary names: random per process and thread, then counted (a random name per file cost
 * a getrandom call each). Created with O_EXCL all the same.
 */
const TEMP_PREFIX = crypto.randomBytes(6).toString('hex');
let tempCounter = 0;

/**
 * Runs `make` on a path whose directory may be missing: made on ENOENT, then tried again.
 * Directories are not remembered as made: an importer may take the files and remove the
 * directory at any time, and a failing call costs less than a mkdir before each file.
 */
function inDirectory<T>(target: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    return make();
  }
}

function openCreating(file: string): number {
  return inDirectory(file, () => fs.openSync(file, 'wx', FILE_MODE));
}

/**
 * A Writable into a file descriptor that hashes what it writes and closes the descriptor at
 * the end (durability comes after, for many files at once): a finished file holds none, so
 * a message with thousands of parts cannot run out of them. The writes are synchronous: a
 * write into the page cache takes microseconds, while handing it to libuv's pool wakes a
 * pool thread that, on a busy machine, takes the writer's core for a scheduler slice (a
 * profile of the decode thread had a sixth of its time in the asynchronous write call).
 * Files are written by decode threads, where nothing else waits for the event loop.
 */
class HashingWriter extends Writable {
  readonly sha256 = crypto.createHash('sha256');
  readonly sha512 = crypto.createHash('sha512');
  size = 0;
  private fd: number | undefined;

  constructor(fd: number) {
    super({ highWaterMark: 256 * 1024 });
    this.fd = fd;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.fd === undefined) return callback(new Error('the file was closed'));
    this.sha256.update(chunk);
    this.sha512.update(chunk);
    this.size += chunk.length;
    try {
      for (let offset = 0; offset < chunk.length;) offset += fs.writeSync(this.fd, chunk, offset, chunk.length - offset);
    } catch (error) {
      return callback(error as Error);
    }
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.closeDescriptor();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.closeDescriptor();
    callback(error);
  }

  private closeDescriptor(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export class StagedFile {
  private readonly writer: HashingWriter;
  private finished = false;
  /** its bytes have reached the disk (makeDurable) */
  private durable = false;

  /**
   * Makes the finished files' bytes durable together, one flush for all of them and for the
   * other callers of the moment (durability.ts): what place() needs before it links them.
   */
  static async makeDurable(files: readonly StagedFile[], method: SyncMethod): Promise<void> {
    const pending = files.filter((file) => !file.durable);
    for (const file of pending) if (!file.finished) throw new Error(`${file.tempPath}: made durable before it was written`);
    await makeDurable(pending.map((file) => file.tempPath), method);
    for (const file of pending) file.durable = true;
  }

  private constructor(private targetDirectory: string, private finalName: string, readonly tempPath: string, fd: number) {
    this.writer = new HashingWriter(fd);
    this.writer.once('finish', () => { this.finished = true; });
  }

  /**
   * A temporary file that will become `name` in `directory` (created when missing), staged
   * in the writer's staging directory; in `directory` itself, under a dot name no attachment
   * gets, when there is no staging or it is on another file system.
   */
  static create(directory: string, name: string, staging?: Staging): StagedFile {
    const temporary = `${TEMP_PREFIX}-${(tempCounter += 1)}.tmp`;
    let tempPath = path.join(directory, `.mailpump-${temporary}`);
    if (staging) {
      const folder = stagingDirectory(staging);
      if (onSameDevice(folder, directory)) tempPath = path.join(folder, temporary);
    }
    return new StagedFile(directory, name, tempPath, openCreating(tempPath));
  }

  get name(): string {
    return this.finalName;
  }

  get directory(): string {
    return this.targetDirectory;
  }

  /** Another directory for it, learnt after the bytes (an envelope's document goes to its kind's), under the same staging root. */
  moveTo(directory: string): void {
    this.targetDirectory = directory;
  }

  /** The first `length` bytes written, once the stream has finished: enough to tell what a file may be. */
  async head(length: number): Promise<Buffer> {
    if (!this.finished) await finished(this.writer);
    const handle = await fs.promises.open(this.tempPath, 'r');
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  /** The bytes written, once the stream has finished: an envelope is recognised from them. */
  async contents(): Promise<Buffer> {
    if (!this.finished) await finished(this.writer);
    return fs.promises.readFile(this.tempPath);
  }

  /** The bytes written, read as a stream once it has finished: a file too large to hold. */
  async *chunks(): AsyncIterable<Buffer> {
    if (!this.finished) await finished(this.writer);
    yield* fs.createReadStream(this.tempPath, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>;
  }

  /** The bytes written so far. */
  get size(): number {
    return this.writer.size;
  }

  /** A name learnt after the bytes (a TNEF attachment's comes after its data). */
  rename(name: string): void {
    this.finalName = name;
  }

  /** Where the bytes go; ending it closes the file (makeDurable, or place, then makes them durable). */
  get stream(): Writable {
    return this.writer;
  }

  /** Writes a whole buffer (a sidecar) and ends the stream. */
  async writeAll(content: Buffer): Promise<void> {
    await pipeline(async function* () { yield content; }, this.writer);
  }

  /**
   * Moves the finished file to its name, or to `<stem>~<tag>[-n]<ext>` when the name is
   * taken; `tag` must be the same on every try of the same message part. `mayTake(path)`
   * says whether the plain name may be this file's (another writer may own it); the
   * suffixed names are this part's own by construction. Without it, any name may be.
   */
  async place(tag: string, mayTake: (path: string) => boolean = () => true): Promise<PlacedFile> {
    if (!this.finished) throw new Error(`${this.tempPath}: placed before it was written`);
    // Never a name on bytes that may not be on the disk yet: alone, when no batch did it.
    if (!this.durable) await StagedFile.makeDurable([this], 'fsync');
    const hashes = { sha256: this.writer.sha256.digest('hex'), sha512: this.writer.sha512.digest('base64'), size: this.writer.size };
    try {
      for (const candidate of candidateNames(this.name, tag)) {
        const target = path.join(this.directory, candidate);
        if (candidate === this.name && !mayTake(target)) continue;
        try {
          inDirectory(target, () => fs.linkSync(this.tempPath, target));
          return { path: target, ...hashes, alreadyPresent: false };
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        if (await sameContent(target, hashes.size, hashes.sha256)) return { path: target, ...hashes, alreadyPresent: true };
      }
      throw new Error(`${path.join(this.directory, this.name)}: every name for it is taken by other files`);
    } finally {
      fs.rmSync(this.tempPath, { force: true });
    }
  }

  /** Gives up: the temporary file is removed. */
  discard(): void {
    // The descriptor closes with the stream, once no write is on it (see HashingWriter).
    this.writer.destroy();
    fs.rmSync(this.tempPath, { force: true });
  }
}

function* candidateNames(name: string, tag: string): Generator<string> {
  yield name;
  const dot = name.lastIndexOf('.');
  const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  yield `${stem}~${tag}${extension}`;
  for (let n = 2; n < 100; n += 1) yield `${stem}~${tag}-${n}${extension}`;
}

async function sameContent(file: string, size: number, sha256: string): Promise<boolean> {
  try {
    if (fs.statSync(file).size !== size) return false;
    const hash = crypto.createHash('sha256');
    await pipeline(fs.createReadStream(file), hash);
    return hash.digest('hex') === sha256;
  } catch {
    return false;
  }
}

/** Makes the new names in a directory durable (a rename or link lives in the directory). */
export async function syncDirectory(directory: string, method: SyncMethod = 'fsync'): Promise<void> {
  await makeDurable([directory], method);
}

/** An 8-hex tag from what identifies a message part on its server. */
export function partTag(...identity: readonly string[]): string {
  return crypto.createHash('sha256').update(identity.join('\u0000')).digest('hex').slice(0, 8);
}
