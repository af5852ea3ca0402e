// Decoding in parallel with downloading: the main thread of a subscribe instance speaks to
// the mail server and the broker, while decode threads (one per core but one) decode
// messages and write their files. Decoding is most of the CPU a message costs, so an
// instance uses every core; jobs go to the thread with the fewest in hand.
//
// A message may be built to hurt: a regex of the config's that backtracks for ever on its
// file name, a structure that takes all memory. So each job has a time budget and each
// thread a memory limit. A thread over budget is replaced and its message fails with
// DecodeOverBudget; the other jobs it had are run again elsewhere. A thread that dies of
// something else cannot say which job killed it: its jobs are run again each in a thread
// of its own, where a second death names the culprit (DecodeCrashed). Either way one
// message never takes the others down.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { UndecodableMessage } from '../../decode/mimeParts.js';
import { TemplateError } from '../../decode/templates.js';
import { TransientError } from '../../flow/transient.js';
import type { WriteJob, WriteResult } from './writeFiles.js';

/** The message made its decode thread run over its time budget. */
export class DecodeOverBudget extends UndecodableMessage {}
/** The message killed the decode thread it had to itself (out of memory, or worse). */
export class DecodeCrashed extends UndecodableMessage {}

/** Errors whose class decides what happens to the message (subscribeWorker.ts): rebuilt by name, with their code. */
const ERROR_CLASSES: Readonly<Record<string, new (message: string) => Error>> = { UndecodableMessage, TemplateError };

interface ThreadError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

export interface DecodePoolOptions {
  readonly threads?: number;
  /** the time a job may take, from its size in octets */
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
  /** run in a thread of its own: a thread died while it ran beside others */
  alone: boolean;
  timer?: NodeJS.Timeout;
}

interface Thread {
  worker: Worker;
  /** the worker's threadId, kept: Worker.threadId reads -1 once the thread stopped */
  threadId: number;
  alive: boolean;
  /** a thread for one suspect job, ended after it */
  readonly single: boolean;
  readonly pending: Map<number, Pending>;
}

/** A thread that died on its own is replaced after this pause: one that dies at start must not spin. */
const RESTART_DELAY_MS = 1000;
const DEFAULT_MEMORY_MB = 1024;

function rebuild(error: ThreadError): Error {
  const rebuilt = new (ERROR_CLASSES[error.name] ?? Error)(error.message);
  if (error.code !== undefined) (rebuilt as NodeJS.ErrnoException).code = error.code;
  return rebuilt;
}

export class DecodePool {
  private readonly threads: Thread[];
  /** jobs waiting for a thread: every thread was being replaced */
  private readonly waiting: Pending[] = [];
  private nextId = 0;
  private closed = false;
  private readonly memoryMb: number;

  constructor(private readonly stateFile: string, private readonly options: DecodePoolOptions) {
    this.memoryMb = options.memoryMb ?? DEFAULT_MEMORY_MB;
    const size = options.threads ?? Math.max(1, os.availableParallelism() - 1);
    this.threads = Array.from({ length: size }, () => this.startThread(false));
  }

  private startThread(single: boolean): Thread {
    const thread: Thread = { worker: undefined as unknown as Worker, threadId: -1, alive: false, single, pending: new Map() };
    this.launch(thread);
    return thread;
  }

  private launch(thread: Thread): void {
    const worker = new Worker(new URL('./decodeThread.js', import.meta.url), {
      workerData: { stateFile: this.stateFile },
      resourceLimits: { maxOldGenerationSizeMb: this.memoryMb },
    });
    thread.worker = worker;
    thread.threadId = worker.threadId;
    thread.alive = true;
    worker.on('message', (message: { id: number; result?: WriteResult; error?: ThreadError }) => {
      const pending = thread.pending.get(message.id);
      if (!pending) return;
      this.settle(thread, pending);
      if (message.error) pending.reject(rebuild(message.error));
      else pending.resolve(message.result!);
      if (thread.single && thread.pending.size === 0) this.retire(thread);
    });
    worker.on('error', (error) => this.died(thread, worker, error));
    worker.on('exit', (code) => this.died(thread, worker, new Error(`a decode thread ended (exit code ${code})`)));
    this.drainWaiting();
  }

  private settle(thread: Thread, pending: Pending): void {
    clearTimeout(pending.timer);
    thread.pending.delete(pending.id);
  }

  /** The thread ends, asked by us: nothing it had is lost (it has nothing, or it was over budget). */
  private retire(thread: Thread): void {
    thread.alive = false;
    const { worker, threadId } = thread;
    void worker.terminate().finally(() => this.options.onThreadGone?.(threadId));
  }

  private died(thread: Thread, worker: Worker, error: unknown): void {
    if (!thread.alive || thread.worker !== worker) return;
    thread.alive = false;
    this.options.onThreadGone?.(thread.threadId);
    const jobs = [...thread.pending.values()];
    thread.pending.clear();
    if (this.closed) {
      for (const pending of jobs) pending.reject(new TransientError('the decode threads were closed'));
      return;
    }
    const reason = (error as NodeJS.ErrnoException)?.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `it took more than ${this.memoryMb} MB` : (error as Error)?.message ?? String(error);
    for (const pending of jobs) {
      clearTimeout(pending.timer);
      if (jobs.length === 1) {
        // Alone in its thread, it is what killed it.
        pending.reject(new DecodeCrashed(`decoding it killed its decode thread (${reason})`));
      } else {
        pending.alone = true;
        this.dispatch(pending);
      }
    }
    if (!thread.single) setTimeout(() => { if (!this.closed) this.launch(thread); }, RESTART_DELAY_MS).unref();
  }

  private overBudget(thread: Thread, pending: Pending, budgetMs: number): void {
    if (!thread.pending.has(pending.id)) return;
    this.settle(thread, pending);
    pending.reject(new DecodeOverBudget(`decoding it took more than its ${Math.round(budgetMs / 1000)} s budget (decodeBudget); its thread was replaced`));
    // The others it had did nothing wrong: they start again on another thread.
    const others = [...thread.pending.values()];
    thread.pending.clear();
    for (const other of others) clearTimeout(other.timer);
    this.retire(thread);
    if (!thread.single && !this.closed) this.launch(thread);
    for (const other of others) this.dispatch(other);
  }

  run(job: WriteJob): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new TransientError('the decode threads are closed'));
    return new Promise((resolve, reject) => this.dispatch({ id: this.nextId++, job, resolve, reject, alone: false }));
  }

  private dispatch(pending: Pending): void {
    if (this.closed) {
      pending.reject(new TransientError('the decode threads are closed'));
      return;
    }
    let thread: Thread | undefined;
    if (pending.alone) {
      thread = this.startThread(true);
    } else {
      const alive = this.threads.filter((candidate) => candidate.alive);
      if (alive.length === 0) {
        this.waiting.push(pending);
        return;
      }
      thread = alive.reduce((least, candidate) => (candidate.pending.size < least.pending.size ? candidate : least));
    }
    const chosen = thread;
    const budgetMs = this.options.budgetMs(pending.job);
    pending.timer = setTimeout(() => this.overBudget(chosen, pending, budgetMs), budgetMs);
    chosen.pending.set(pending.id, pending);
    chosen.worker.postMessage({ id: pending.id, job: pending.job });
  }

  private drainWaiting(): void {
    for (const pending of this.waiting.splice(0)) this.dispatch(pending);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.waiting.splice(0)) pending.reject(new TransientError('the decode threads are closed'));
    await Promise.all(this.threads.map((thread) => thread.worker.terminate()));
  }
}
