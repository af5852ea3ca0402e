// Making written files durable in batches rather than one fsync at a time. On a journaled
// disk each fsync waits for a journal commit, so a file and a directory fsync per message
// bound the ingest to the disk's commit rate. Here every caller of one thread that asks
// within the same turn of the event loop is served by one flush: syncfs of the file
// system (`sync --file-system`, coreutils), which makes every file and directory entry on
// it durable at once; where that is not available, an fsync of each path asked for, many
// at once. The promise is the same as an fsync's: when `sync` resolves, what the paths
// hold and name has reached the disk.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';

export type SyncMethod = 'syncfs' | 'fsync';

/** How many fsyncs run at once in the fallback: enough to fill the disk's queue. */
const FSYNCS_AT_ONCE = 64;

/**
 * The method for `directory`'s file system (option fileSync). auto is fsync: syncfs through
 * `sync --file-system` costs a process per batch, and on a journaled ext4 that made the
 * 10,000-message ingest 34 s against 25 s with concurrent fsyncs (docs/performance.md).
 * syncfs, when asked for, is probed once at start and falls back to fsync where it fails.
 */
export function chooseSyncMethod(directory: string, wanted: 'auto' | SyncMethod = 'auto'): { method: SyncMethod; why: string } {
  if (wanted !== 'syncfs') return { method: 'fsync', why: 'files made durable per batch of messages, by an fsync of each file and directory, many at once' };
  const probe = spawnSync('sync', ['--file-system', directory], { stdio: 'ignore', timeout: 30_000 });
  return probe.status === 0
    ? { method: 'syncfs', why: 'files made durable per batch of messages, by syncfs of the output file system (sync --file-system)' }
    : { method: 'fsync', why: `fileSync syncfs: sync --file-system ${directory} fails here, so files are made durable by fsyncs, many at once` };
}

function syncfs(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sync', ['--file-system', path], (error) => (error ? reject(error) : resolve()));
  });
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

class Batcher {
  private paths = new Set<string>();
  private waiters: Waiter[] = [];
  private scheduled = false;

  constructor(private readonly method: SyncMethod) {}

  sync(paths: readonly string[]): Promise<void> {
    if (paths.length === 0) return Promise.resolve();
    for (const path of paths) this.paths.add(path);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // The callers of this turn join the batch; the flush starts right after them.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const paths = [...this.paths];
    const waiters = this.waiters;
    this.paths = new Set();
    this.waiters = [];
    this.scheduled = false;
    try {
      if (this.method === 'syncfs') await Promise.all(oneByDevice(paths).map(syncfs));
      else for (let at = 0; at < paths.length; at += FSYNCS_AT_ONCE) await Promise.all(paths.slice(at, at + FSYNCS_AT_ONCE).map(fsyncPath));
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
    }
  }
}

/** One path per file system: syncfs of it covers the others. */
function oneByDevice(paths: readonly string[]): string[] {
  const byDevice = new Map<number, string>();
  for (const path of paths) {
    const device = fs.statSync(path).dev;
    if (!byDevice.has(device)) byDevice.set(device, path);
  }
  return [...byDevice.values()];
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
