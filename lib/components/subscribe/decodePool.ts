// Decoding in parallel with downloading: the main thread of a subscribe instance speaks to
// the mail server and the broker, while decode threads (one per core but one) decode
// messages and write their files. Decoding is most of the CPU a message costs, so an
// instance uses every core; jobs go to the thread with the fewest in hand.
//
// A message may be built to hurt: a regex of the config's that backtracks for ever on its
// file name, a structure that takes all memory. So a thread has a memory limit and is
// watched: one whose event loop gives no sign of life for the stall time (decodeBudget),
// or that holds a job past its time (ten times that, plus 1 s per MB: jobs of a thread
// share it), is stuck. A thread that is stuck or dies cannot say which of its jobs did it:
// its jobs are run again, each in a thread of its own (two such at a time), where being
// stuck or dying again names the culprit (DecodeOverBudget, DecodeCrashed). The others
// finish there. One message never takes the others down.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { UndecodableMessage } from '../../decode/mimeParts.js';
import { ItemChanged, ItemGone } from '../../depot/item.js';
import { TemplateError } from '../../decode/templates.js';
import { TransientError } from '../../flow/transient.js';
import type { WriteJob, WriteResult } from './writeFiles.js';

/** The message kept its decode thread, alone, busy past its budget. */
export class DecodeOverBudget extends UndecodableMessage {}
/** The message killed the decode thread it had to itself (out of memory, or worse). */
export class DecodeCrashed extends UndecodableMessage {}

/** Errors whose class decides what happens to the message (subscribeWorker.ts): rebuilt by name, with their code. */
const ERROR_CLASSES: Readonly<Record<string, new (message: string) => Error>> = { UndecodableMessage, TemplateError, ItemGone, ItemChanged };

interface ThreadError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

export interface DecodePoolOptions {
  readonly threads?: number;
  /** how long a thread's event loop may give no sign of life */
  readonly stallMs: number;
  /** the time a job may be held by its thread, from its size in octets */
  readonly budgetMs: (job: WriteJob) => number;
  /** heap limit of a decode thread (Worker resourceLimits) */
  readonly memoryMb?: number;
  /** called when a thread is gone, with its id: its staging directories can be removed */
  readonly onThreadGone?: (threadId: number) => void;
}

interface Pending {
  readonly id: number;
  readonly job: WriteJob;
  readonly resolve: (result: WriteResult) => void;
  readonly reject: (error: unknown) => void;
  /** when its thread was given it */
  since: number;
}

interface Thread {
  worker: Worker;
  /** the worker's threadId, kept: Worker.threadId reads -1 once the thread stopped */
  threadId: number;
  alive: boolean;
  /** a thread for one suspect job, ended after it */
  readonly single: boolean;
  readonly pending: Map<number, Pending>;
  /** when it last said it was alive; undefined while it starts (loads its modules, opens the state) */
  lastSign: number | undefined;
}

/** A thread that died on its own is replaced after this pause: one that dies at start must not spin. */
const RESTART_DELAY_MS = 1000;
const DEFAULT_MEMORY_MB = 1024;
/** Suspect jobs run alone, this many at a time: each costs a thread. */
const ALONE_AT_ONCE = 2;

function rebuild(error: ThreadError): Error {
  const rebuilt = new (ERROR_CLASSES[error.name] ?? Error)(error.message);
  if (error.code !== undefined) (rebuilt as NodeJS.ErrnoException).code = error.code;
  return rebuilt;
}

export class DecodePool {
  private readonly threads: Thread[];
  private readonly singles = new Set<Thread>();
  /** jobs waiting for a thread: every pooled one being replaced, or ALONE_AT_ONCE singles running */
  private readonly waiting: Pending[] = [];
  private readonly suspects: Pending[] = [];
  private nextId = 0;
  private closed = false;
  private readonly memoryMb: number;
  private readonly watch: NodeJS.Timeout;

  constructor(private readonly stateFile: string, private readonly options: DecodePoolOptions) {
    this.memoryMb = options.memoryMb ?? DEFAULT_MEMORY_MB;
    const size = options.threads ?? Math.max(1, os.availableParallelism() - 1);
    this.threads = Array.from({ length: size }, () => this.startThread(false));
    this.watch = setInterval(() => this.checkThreads(), Math.max(50, Math.min(1000, options.stallMs / 4)));
    this.watch.unref();
  }

  private startThread(single: boolean): Thread {
    const thread: Thread = { worker: undefined as unknown as Worker, threadId: -1, alive: false, single, pending: new Map(), lastSign: undefined };
    this.launch(thread);
    return thread;
  }

  private launch(thread: Thread): void {
    const worker = new Worker(new URL('./decodeThread.js', import.meta.url), {
      workerData: { stateFile: this.stateFile, heartbeatMs: Math.max(20, Math.min(500, this.options.stallMs / 8)) },
      resourceLimits: { maxOldGenerationSizeMb: this.memoryMb },
    });
    thread.worker = worker;
    thread.threadId = worker.threadId;
    thread.alive = true;
    // Starting is not being stuck: on a loaded machine a thread may take seconds to load its
    // modules, and silence is counted from its first sign. A job's own time limit still runs.
    thread.lastSign = undefined;
    worker.on('message', (message: { alive?: true; id: number; result?: WriteResult; error?: ThreadError }) => {
      thread.lastSign = Date.now();
      if (message.alive) return;
      const pending = thread.pending.get(message.id);
      if (!pending) return;
      thread.pending.delete(message.id);
      if (message.error) pending.reject(rebuild(message.error));
      else pending.resolve(message.result!);
      if (thread.single && thread.pending.size === 0) this.retire(thread);
    });
    worker.on('error', (error) => this.wentWrong(thread, worker, error));
    worker.on('exit', (code) => this.wentWrong(thread, worker, new Error(`a decode thread ended (exit code ${code})`)));
    for (const pending of this.waiting.splice(0)) this.dispatch(pending);
  }

  /** The thread ends, asked by us. */
  private retire(thread: Thread): void {
    thread.alive = false;
    const { worker, threadId } = thread;
    void worker.terminate().finally(() => this.options.onThreadGone?.(threadId));
    if (thread.single) {
      this.singles.delete(thread);
      this.runSuspects();
    }
  }

  /** Stuck or dead: a job alone in the thread is the culprit; several are run again each alone. */
  private blame(thread: Thread, culprit: (pending: Pending) => Error): void {
    const jobs = [...thread.pending.values()];
    thread.pending.clear();
    if (jobs.length === 1) jobs[0]!.reject(culprit(jobs[0]!));
    else for (const pending of jobs) this.suspect(pending);
  }

  private wentWrong(thread: Thread, worker: Worker, error: unknown): void {
    if (!thread.alive || thread.worker !== worker) return;
    thread.alive = false;
    this.options.onThreadGone?.(thread.threadId);
    if (this.closed) {
      for (const pending of thread.pending.values()) pending.reject(new TransientError('the decode threads were closed'));
      thread.pending.clear();
      return;
    }
    const reason = (error as NodeJS.ErrnoException)?.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `it took more than ${this.memoryMb} MB` : (error as Error)?.message ?? String(error);
    this.blame(thread, () => new DecodeCrashed(`decoding it killed its decode thread (${reason})`));
    if (thread.single) {
      this.singles.delete(thread);
      this.runSuspects();
    } else {
      setTimeout(() => { if (!this.closed) this.launch(thread); }, RESTART_DELAY_MS).unref();
    }
  }

  private checkThreads(): void {
    const now = Date.now();
    for (const thread of [...this.threads, ...this.singles]) {
      if (!thread.alive || thread.pending.size === 0) continue;
      const silent = thread.lastSign !== undefined && now - thread.lastSign > this.options.stallMs;
      const overdue = [...thread.pending.values()].find((pending) => now - pending.since > 10 * this.options.budgetMs(pending.job));
      if (!silent && !overdue) continue;
      const why = silent ? `its decode thread gave no sign of life for ${Math.round(this.options.stallMs / 1000)} s` : 'it took more than its time';
      this.blame(thread, () => new DecodeOverBudget(`decoding it went over its budget (decodeBudget): ${why}; the thread was replaced`));
      this.retire(thread);
      if (!thread.single) this.launch(thread);
    }
  }

  run(job: WriteJob): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new TransientError('the decode threads are closed'));
    return new Promise((resolve, reject) => this.dispatch({ id: this.nextId++, job, resolve, reject, since: 0 }));
  }

  private suspect(pending: Pending): void {
    this.suspects.push(pending);
    this.runSuspects();
  }

  private runSuspects(): void {
    while (!this.closed && this.suspects.length > 0 && this.singles.size < ALONE_AT_ONCE) {
      const thread = this.startThread(true);
      this.singles.add(thread);
      this.give(thread, this.suspects.shift()!);
    }
  }

  private dispatch(pending: Pending): void {
    if (this.closed) {
      pending.reject(new TransientError('the decode threads are closed'));
      return;
    }
    const alive = this.threads.filter((candidate) => candidate.alive);
    if (alive.length === 0) {
      this.waiting.push(pending);
      return;
    }
    this.give(alive.reduce((least, candidate) => (candidate.pending.size < least.pending.size ? candidate : least)), pending);
  }

  private give(thread: Thread, pending: Pending): void {
    pending.since = Date.now();
    thread.pending.set(pending.id, pending);
    thread.worker.postMessage({ id: pending.id, job: pending.job });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watch);
    for (const pending of [...this.waiting.splice(0), ...this.suspects.splice(0)]) pending.reject(new TransientError('the decode threads are closed'));
    await Promise.all([...this.threads, ...this.singles].map((thread) => thread.worker.terminate()));
  }
}
