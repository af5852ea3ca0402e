// Decoding in parallel with downloading: the main thread of a subscribe instance speaks to
// the mail server and the broker, while decode threads (one per core but one) decode
// messages and write their files. Decoding is most of the CPU a message costs, so an
// instance uses every core; jobs go to the thread with the fewest in hand.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { UndecodableMessage } from '../../decode/mimeParts.js';
import { TemplateError } from '../../decode/templates.js';
import type { WriteJob, WriteResult } from './writeFiles.js';

/** Errors whose class decides what happens to the message (subscribeWorker.ts): rebuilt by name. */
const ERROR_CLASSES: Readonly<Record<string, new (message: string) => Error>> = { UndecodableMessage, TemplateError };

interface Pending {
  readonly resolve: (result: WriteResult) => void;
  readonly reject: (error: unknown) => void;
}

interface Thread {
  worker: Worker;
  alive: boolean;
  readonly pending: Map<number, Pending>;
}

/** A thread that died is replaced after this pause: one that dies at start must not spin. */
const RESTART_DELAY_MS = 1000;

export class DecodePool {
  private readonly threads: Thread[];
  private nextId = 0;
  private closed = false;

  constructor(private readonly stateFile: string, size = Math.max(1, os.availableParallelism() - 1)) {
    this.threads = Array.from({ length: size }, () => {
      const thread: Thread = { worker: undefined as unknown as Worker, alive: false, pending: new Map() };
      this.start(thread);
      return thread;
    });
  }

  private start(thread: Thread): void {
    const worker = new Worker(new URL('./decodeThread.js', import.meta.url), { workerData: { stateFile: this.stateFile } });
    thread.worker = worker;
    thread.alive = true;
    worker.on('message', (message: { id: number; result?: WriteResult; error?: { name: string; message: string } }) => {
      const pending = thread.pending.get(message.id);
      thread.pending.delete(message.id);
      if (message.error) pending?.reject(new (ERROR_CLASSES[message.error.name] ?? Error)(message.error.message));
      else pending?.resolve(message.result!);
    });
    // A thread that died takes its jobs with it: they fail (and are retried), and a new thread takes its place.
    const died = (error: unknown) => {
      if (!thread.alive) return;
      thread.alive = false;
      for (const pending of thread.pending.values()) pending.reject(error);
      thread.pending.clear();
      setTimeout(() => { if (!this.closed) this.start(thread); }, RESTART_DELAY_MS).unref();
    };
    worker.on('error', died);
    worker.on('exit', (code) => { if (!this.closed) died(new Error(`a decode thread ended (exit code ${code})`)); });
  }

  run(job: WriteJob): Promise<WriteResult> {
    const alive = this.threads.filter((candidate) => candidate.alive);
    if (alive.length === 0) return Promise.reject(new Error('no decode thread is running (one died and is being restarted)'));
    const thread = alive.reduce((least, candidate) => (candidate.pending.size < least.pending.size ? candidate : least));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ id, job });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((thread) => thread.worker.terminate()));
  }
}
