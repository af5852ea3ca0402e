// Making written files durable in batches rather than one fsync at a time. On a journaled
// disk each fsync waits for a journal commit, so a file and a directory fsync per message
// bound the ingest to the disk's commit rate. Here the callers of one thread are served by
// one flush at a time (group commit: what is asked for during a flush waits for the next):
// syncfs of the file system (by a long-lived helper, see SyncfsHelper), which makes every
// file and directory entry on it durable at once; where that is not available,
// an fsync of each path asked for, many at once. The promise is the same as an fsync's:
// when `sync` resolves, what the paths hold and name has reached the disk.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { Socket } from 'node:net';

export type SyncMethod = 'syncfs' | 'fsync';

/** How many fsyncs run at once in the fallback: enough to fill the disk's queue. */
const FSYNCS_AT_ONCE = 64;

/**
 * syncfs(2) by its number, for perl's syscall: it has no name in perl-base (Debian's
 * essential perl), and the number depends on the architecture.
 */
const SYNCFS_NUMBERS: Partial<Record<string, number>> = { x64: 306, arm64: 267, riscv64: 267, loong64: 267, ia32: 344, arm: 373, ppc64: 348, s390x: 338 };

/**
 * The helper: it holds the file system by a descriptor (3) on the path it was started with,
 * which a user may remove afterwards (syncing through it still reaches that file system),
 * says first which way it syncs, then answers each line it reads with `ok` or `failed`.
 * perl calls syncfs itself, a system call per flush; without perl (or without syncfs's
 * number for this architecture) the shell runs coreutils' `sync --file-system`, a fork and
 * an exec per flush: a millisecond of CPU each, outside this process.
 */
const SYNCFS_SCRIPT = [
  'exec 3<"$1" || exit 1',
  'if [ -n "$2" ] && command -v perl >/dev/null 2>&1; then',
  '  exec perl -e \'$| = 1; print "perl\\n"; while (<STDIN>) { print(syscall(0 + $ARGV[0], 3) == 0 ? "ok\\n" : "failed\\n") }\' "$2"',
  'fi',
  'echo sync',
  'while read -r _; do if sync --file-system /dev/fd/3; then echo ok; else echo failed; fi; done',
].join('\n');

function syncfsArguments(path: string): string[] {
  return ['-c', SYNCFS_SCRIPT, 'mailpump-syncfs', path, String(SYNCFS_NUMBERS[process.arch] ?? '')];
}

const SYNCFS_WAYS: Record<string, string> = { perl: 'syncfs(2), called by a perl helper', sync: 'sync --file-system, run by a helper shell' };

/**
 * The method for `directory`'s file system (option fileSync). auto is syncfs where the
 * helper's first flush there works (probed once, at start), else fsyncs: one syncfs per
 * batch flushes every file and directory entry at once, where fsyncs cost a call each, and
 * on a journaled disk a commit each unless many run at once (docs/performance.md).
 */
export function chooseSyncMethod(directory: string, wanted: 'auto' | SyncMethod = 'auto'): { method: SyncMethod; why: string } {
  if (wanted === 'fsync') return { method: 'fsync', why: FSYNC_WHY };
  const probe = spawnSync('sh', syncfsArguments(directory), { input: '\n', encoding: 'utf8', timeout: 30_000 });
  const [way, answer] = (probe.stdout ?? '').split('\n');
  return probe.status === 0 && answer === 'ok' && way !== undefined && SYNCFS_WAYS[way]
    ? { method: 'syncfs', why: `files made durable per batch of messages, by syncfs of the output file system (${SYNCFS_WAYS[way]})` }
    : { method: 'fsync', why: `syncfs of ${directory} fails here, so files are made durable by fsyncs, many at once` };
}

const FSYNC_WHY = 'files made durable per batch of messages, by an fsync of each file and directory, many at once';

/**
 * syncfs has no Node call, and spawning a program per flush from a thread holding a large
 * heap cost more than a millisecond each (a profile: a tenth of the decode thread). So one
 * helper per file system stays up (SYNCFS_SCRIPT). It ends when our end of its input closes,
 * that is with us.
 */
class SyncfsHelper {
  private child: ChildProcessWithoutNullStreams | undefined;
  private answers: ((ok: boolean | Error) => void)[] = [];
  private buffered = '';
  /** its first line says which way it syncs: not an answer */
  private announced = false;
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
    const child = spawn('sh', syncfsArguments(this.path), { stdio: ['pipe', 'pipe', 'ignore'] }) as unknown as ChildProcessWithoutNullStreams;
    this.announced = false;
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
        if (this.announced) this.answers.shift()?.(line === 'ok');
        else this.announced = true;
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
