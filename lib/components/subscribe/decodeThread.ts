// Entry point of a decode thread (decodePool.ts): runs write jobs as they come, with its
// own connection to the subscribe state (SQLite connections are not shared across threads).
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { SubscribeState } from '../../state/subscribeState.js';
import { type WriteJob, writeMessageFiles } from './writeFiles.js';

const { stateFile, heartbeatMs } = workerData as { stateFile: string; heartbeatMs: number };
const state = SubscribeState.open(stateFile);

// A sign of life while the thread's event loop turns: a message whose decoding blocks it (a
// regex that backtracks for ever) silences it, and the pool sees the thread stuck.
// The first says it has started: the pool counts silence from there (decodePool.ts).
parentPort!.postMessage({ alive: true });
setInterval(() => parentPort!.postMessage({ alive: true }), heartbeatMs).unref();

parentPort!.on('message', (message: { id: number; job: WriteJob }) => {
  writeMessageFiles(message.job, state, `${message.job.settings.writer}.t${threadId}`).then(
    (result) => parentPort!.postMessage({ id: message.id, result }),
    (error: unknown) => parentPort!.postMessage({
      id: message.id,
      error: {
        name: error instanceof Error ? error.constructor.name : 'Error',
        message: error instanceof Error ? error.message : String(error),
        // a file-system error's code (ENOSPC, EACCES) says it passes: it crosses with it
        ...(typeof (error as NodeJS.ErrnoException)?.code === 'string' ? { code: (error as NodeJS.ErrnoException).code } : {}),
      },
    }),
  );
});
