// Making written files durable in batches rather than one fsync at a time. On a journaled
// disk each fsync waits for a journal commit, so a file and a directory fsync per message
// bound the ingest to the disk's commit rate. Here the callers of one thread are served by
// one flush at a time (group commit: what is asked for during a flush waits for the next):
// syncfs of the file system (`sync --file-system`, coreutils, run by a helper shell), which
// makes every file and directory entry on it durable at once; where that is not available,
// an fsync of each path asked for, many at once. The promise is the same as an fsync's:
// when `sync` resolves, what the paths hold and name has reached the disk.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { Socket } from 'node:net';

export type SyncMethod = 'syncfs' | 'fsync';

/** How many fsyncs run at once in the fallback: enough to fill the disk's queue. */
const FSYNCS_AT_ONCE = 64;

/**
 * The method for `directory`'s file system (option fileSync). auto is syncfs where `sync
 * --file-system` works there (probed once, at start), else fsyncs: one syncfs per batch
 * flushes every file and directory entry at once, where fsyncs cost a call each, and on a
 * journaled disk a commit each unless many run at once (docs/performance.md).
 */
export function chooseSyncMethod(directory: string, wanted: 'auto' | SyncMethod = 'auto'): { method: SyncMethod; why: string } {
  if (wanted === 'fsync') return { method: 'fsync', why: FSYNC_WHY };
  const probe = spawnSync('sync', ['--file-system', directory], { stdio: 'ignore', timeout: 30_000 });
  return probe.status === 0
    ? { method: 'syncfs', why: 'files made durable per batch of messages, by syncfs of the output file system (sync --file-system)' }
    : { method: 'fsync', why: `sync --file-system ${directory} fails here, so files are made durable by fsyncs, many at once` };
}

const FSYNC_WHY = 'files made durable per batch of messages, by an fsync of each file and directory, many at once';

/**
 * syncfs has no Node call, and spawning `sync` per flush from a thread holding a large heap
 * cost more than a millisecond each (a profile: a tenth of the decode thread). So one small
 * shell per file system stays up and runs `sync --file-system` each time it reads a line,
 * answering `ok` or `failed`; its fork and exec are its own. It ends when our end of its
 * input closes, that is with us.
 */
class SyncfsHelper {
  private child: ChildProcessWithoutNullStreams | undefined;
  private answers: ((ok: boolean | Error) => void)[] = [];
  private buffered = '';
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  sync(): Promise<void> {
    const run = this.queue.then(() => this.once());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private once(): Promise<void> {
    const child = this.child ?? this.start();
    return new Promise((resolve, reject) => {
      this.answers.push((ok) => {
        if (ok === true) resolve();
        else reject(ok instanceof Error ? ok : new Error(`sync --file-system ${this.path} failed`));
      });
      // While an answer is awaited the helper keeps the process up: a process with nothing
      // else to do (a one-off decode) would otherwise end with its files not durable.
      (child.stdout as unknown as Socket).ref();
      child.stdin.write('\n');
    });
  }

  stop(): void {
    this.child?.kill();
  }

  private start(): ChildProcessWithoutNullStreams {
    // It holds the file system by a descriptor (3) on the path it was started with, which a
    // user may remove afterwards: syncing /dev/fd/3 still reaches that file system.
    const script = 'exec 3<"$1" || exit 1; while read -r _; do if sync --file-system /dev/fd/3; then echo ok; else echo failed; fi; done';
    const child = spawn('sh', ['-c', script, 'mailpump-syncfs', this.path], { stdio: ['pipe', 'pipe', 'ignore'] }) as unknown as ChildProcessWithoutNullStreams;
    this.child = child;
    // It never keeps a process up that is done: its pipes are sockets, let go like it
    // (but for the time an answer is awaited, see once).
    child.unref();
    (child.stdin as unknown as Socket).unref();
    (child.stdout as unknown as Socket).unref();
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      this.buffered += text;
      let end: number;
      while ((end = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, end);
        this.buffered = this.buffered.slice(end + 1);
        this.answers.shift()?.(line === 'ok');
      }
      if (this.answers.length === 0) (child.stdout as unknown as Socket).unref();
    });
    const gone = (error: Error) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.buffered = '';
      for (const answer of this.answers.splice(0)) answer(error);
    };
    child.on('error', gone);
    child.on('exit', (code, signal) => gone(new Error(`the syncfs helper for ${this.path} ended (${signal ?? `exit ${code}`})`)));
    child.stdin.on('error', () => undefined); // its exit says it
    return child;
  }
}

const helpers = new Map<number, SyncfsHelper>();

/** syncfs of the file system `device`, which holds `path` (oneByDevice found it: not stated again). */
async function syncfs([device, path]: readonly [number, string]): Promise<void> {
  let helper = helpers.get(device);
  if (!helper) {
    helper = new SyncfsHelper(path);
    helpers.set(device, helper);
  }
  try {
    await helper.sync();
  } catch (error) {
    // The next flush starts a helper of its own, from a path that exists then.
    if (helpers.get(device) === helper) helpers.delete(device);
    helper.stop();
    throw error;
  }
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await fs.promises.open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: one flush at a time. What is asked for while a flush runs waits for the
 * next one, which starts as soon as the running one ends and takes everything asked for
 * meanwhile. An idle writer's files are flushed at once (no timer to wait for); a busy
 * one's are flushed in batches as large as the disk is slow, without anyone choosing a size.
 */
class Batcher {
  private paths = new Set<string>();
  private waiters: Waiter[] = [];
  private scheduled = false;
  private flushing = false;

  constructor(private readonly method: SyncMethod) {}

  sync(paths: readonly string[]): Promise<void> {
    if (paths.length === 0) return Promise.resolve();
    for (const path of paths) this.paths.add(path);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing || this.waiters.length === 0) return;
    this.scheduled = true;
    // The callers of this turn join the batch; the flush starts right after them.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const paths = [...this.paths];
    const waiters = this.waiters;
    this.paths = new Set();
    this.waiters = [];
    this.scheduled = false;
    this.flushing = true;
    try {
      if (this.method === 'syncfs') await Promise.all(oneByDevice(paths).map(syncfs));
      else for (let at = 0; at < paths.length; at += FSYNCS_AT_ONCE) await Promise.all(paths.slice(at, at + FSYNCS_AT_ONCE).map(fsyncPath));
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
    } finally {
      this.flushing = false;
      this.schedule();
    }
  }
}

/** One path per file system: syncfs of it covers the others. */
function oneByDevice(paths: readonly string[]): Array<[number, string]> {
  const byDevice = new Map<number, string>();
  for (const path of paths) {
    const device = fs.statSync(path).dev;
    if (!byDevice.has(device)) byDevice.set(device, path);
  }
  return [...byDevice.entries()];
}

const batchers = new Map<SyncMethod, Batcher>();

/** Makes what `paths` hold and name durable, together with every other caller of this thread in the same turn. */
export function makeDurable(paths: readonly string[], method: SyncMethod): Promise<void> {
  let batcher = batchers.get(method);
  if (!batcher) {
    batcher = new Batcher(method);
    batchers.set(method, batcher);
  }
  return batcher.sync(paths);
}
