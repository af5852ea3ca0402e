// One message, start to end: download it (binary-exact, size checked; in memory or to a
// temporary file, by size), have a decode thread write its files (writeFiles.ts), announce
// them downstream, record that all of it is durable, then act on the server and record the
// message done. Each step is safe to repeat: a retry after a crash finds its files already
// in place (same name, same bytes) and writes nothing twice.
import type { EventLog } from '../../flow/logEvents.js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { FileAction } from '../../depot/actions.js';
import { isTransient, TransientError } from '../../flow/transient.js';
import { type MailAction, mailActionWords, type MailSource, MessageGone, MessageMismatch } from '../../mail/mailSource.js';
import type { Notification } from '../../message.js';
import type { SubscribeState } from '../../state/subscribeState.js';
import type { ActionBatcher } from './actionBatcher.js';
import type { DecodePool } from './decodePool.js';
import type { MailMessageRef } from './mailNotification.js';
import { fileNotification } from './post.js';
import { mailOrigin, type Origin } from './origin.js';
import type { FileSettings, JobInput, RawMessage, WriteResult } from './writeFiles.js';

/** The message is larger than maxMessageSize: it is not downloaded. */
export class MessageTooLarge extends Error {}

export interface IngestSettings {
  /** what the decode threads need: it crosses to them as it is */
  readonly files: FileSettings;
  readonly mailAction: MailAction;
  /** what becomes of a watched directory's item (depotIngest.ts) */
  readonly fileAction: FileAction;
  /** 0: any size */
  readonly maxMessageSize: number;
  /** where messages are downloaded before decoding (the state directory) */
  readonly incomingDirectory: string;
  /** announces a written file downstream; undefined without post_broker */
  readonly announce: ((notification: Notification) => Promise<void>) | undefined;
  readonly postBaseUrl: string;
  readonly postBaseDir: string | undefined;
}

export type IngestOutcome =
  | { readonly kind: 'ingested'; readonly files: number; readonly filteredOut: number; readonly setAside: WriteResult['setAside'] }
  | { readonly kind: 'duplicate'; readonly of: string }
  | { readonly kind: 'resumed' }
  /** a directory's item changed since it was announced: its new version has a notification of its own */
  | { readonly kind: 'superseded'; readonly why: string };

export interface IngestTools {
  readonly settings: IngestSettings;
  readonly state: SubscribeState;
  readonly actions: ActionBatcher;
  readonly decoders: DecodePool;
  /** a line for logLevel debug: how a person follows a message through (never a secret); undefined at other levels */
  readonly debug: ((line: string) => void) | undefined;
  /** logEvents: each file written (after_work) and announced (after_post) */
  readonly events: EventLog;
}

/**
 * How long after its arrival a redelivered notification waits before its mail action: the
 * instance that held it before may have died with a MOVE under way on the server, which runs
 * to its end there, and two MOVEs of one message at once copy it twice (duplicateCopies.ts).
 */
const SETTLE_AFTER_REDELIVERY_MS = 2000;

/** How the notification came: a redelivered one may have been in someone else's hands. */
export interface Arrival {
  readonly redelivered: boolean;
  readonly at: number;
}

/** Messages up to this size are kept in memory between download and decoding (see downloadRaw). */
const IN_MEMORY_OCTETS = 1024 * 1024;

/** imapflow's refusals of a message's own size or bytes: the same every time it is fetched. */
const LASTING_DOWNLOAD_CODES = new Set(['LiteralTooLarge', 'ResponseTooLarge', 'DownloadOverflow', 'TooManyResponses']);

/**
 * A download that failed for another reason than the message (gone, not the one announced,
 * too large for the client) failed on the way: the connection, the server, the disk. It is
 * tried again, not counted against the message.
 */
function downloadFailure(error: unknown): unknown {
  if (error instanceof MessageGone || error instanceof MessageMismatch || isTransient(error)) return error;
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && (LASTING_DOWNLOAD_CODES.has(code) || code.startsWith('ParserError'))) return error;
  return new TransientError(`the download failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/** A Writable that hashes what passes into `sink`, for the content key. */
function hashing(sink: Writable, hash: crypto.Hash): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      if (sink.write(chunk)) done();
      else sink.once('drain', () => done());
    },
    final(done) {
      sink.end();
      finished(sink).then(() => done(), done);
    },
    destroy(error, done) {
      sink.destroy(error ?? undefined);
      done(error);
    },
  });
}

/**
 * The message's bytes in shared memory: handed to a decode thread, they are not copied again
 * (a structured clone of each message was a tenth of the main thread's time), and, unlike a
 * transferred buffer, they stay here too, for the thread that runs the job again when its
 * first one died.
 */
function sharedCopy(chunks: readonly Buffer[]): Uint8Array {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const shared = new Uint8Array(new SharedArrayBuffer(total));
  let at = 0;
  for (const chunk of chunks) {
    shared.set(chunk, at);
    at += chunk.length;
  }
  return shared;
}

/**
 * Downloads the message and runs `work` on it and on the sha256 of its bytes. A small
 * message is kept in memory: writing and reading back a temporary file cost up to a
 * millisecond on the disks measured (docs/performance.md), as much as decoding the message,
 * and small ones are most of the mail. A larger one goes to a temporary file in the state
 * directory, removed whatever happens. Either way memory is bounded: at most
 * IN_MEMORY_OCTETS per message in flight.
 */
async function downloadRaw<T>(source: MailSource, ref: MailMessageRef, directory: string, work: (raw: RawMessage, sha256: string) => Promise<T>): Promise<T> {
  const hash = crypto.createHash('sha256');
  if (ref.expected.size !== undefined && ref.expected.size <= IN_MEMORY_OCTETS) {
    const chunks: Buffer[] = [];
    await source.download(ref.at, ref.expected, new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        hash.update(chunk);
        done();
      },
    })).catch((error: unknown) => { throw downloadFailure(error); });
    return work({ kind: 'memory', data: sharedCopy(chunks) }, hash.digest('hex'));
  }
  fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  const file = path.join(directory, `${crypto.randomBytes(8).toString('hex')}.eml`);
  try {
    await source.download(ref.at, ref.expected, hashing(fs.createWriteStream(file, { mode: 0o600 }), hash))
      .catch((error: unknown) => { throw downloadFailure(error); });
    return await work({ kind: 'file', path: file }, hash.digest('hex'));
  } finally {
    fs.rmSync(file, { force: true });
  }
}

export async function ingestMessage(tools: IngestTools, source: MailSource, notification: Notification, ref: MailMessageRef, arrival: Arrival): Promise<IngestOutcome> {
  const { settings, state } = tools;
  if (state.isPosted(ref.serverKey)) {
    // Files and notifications were made durable before a stop or crash: only the action is left.
    await actOn(tools, source, ref, arrival, true);
    await state.markDoneSoon([ref.serverKey]);
    return { kind: 'resumed' };
  }
  if (settings.maxMessageSize > 0 && (ref.expected.size ?? 0) > settings.maxMessageSize) {
    throw new MessageTooLarge(`${ref.where} is ${ref.expected.size} bytes, more than maxMessageSize ${settings.maxMessageSize}`);
  }
  const downloading = Date.now();
  const { outcome, keys } = await downloadRaw(source, ref, settings.incomingDirectory, async (raw, sha256) => {
    tools.debug?.(`${ref.where}: downloaded ${raw.kind === 'memory' ? `${raw.data.byteLength} bytes, in memory` : 'to a temporary file'}, in ${Date.now() - downloading} ms, sha256 ${sha256}`);
    // The same mail, byte for byte, ingested before at another place (copied to another
    // folder): tidied like the rest, not written again. Decided on the bytes, never on a
    // Message-ID and size, which any sender can copy from a mail yet to come.
    const contentKey = `sha256:${sha256}`;
    const messageKeys = [ref.serverKey, contentKey];
    if (ref.reingest === undefined && state.doneKey([contentKey])) return { outcome: { kind: 'duplicate', of: ref.expected.messageId ?? sha256 } as const, keys: messageKeys };
    const written = await writeAndAnnounce(tools, notification, mailOrigin(notification, ref), raw, ref.expected.size ?? (raw.kind === 'memory' ? raw.data.byteLength : 0));
    await state.markPostedSoon(ref.serverKey);
    return { outcome: written, keys: messageKeys };
  });
  await actOn(tools, source, ref, arrival, false);
  await state.markDoneSoon(keys);
  return outcome;
}

/** Has a decode thread write the files of a message or a directory's item (`size` octets), then announces them. */
export async function writeAndAnnounce(tools: IngestTools, notification: Notification, origin: Origin, raw: JobInput, size: number): Promise<IngestOutcome & { kind: 'ingested' }> {
  const { settings } = tools;
  const { written, filteredOut, setAside } = await tools.decoders.run({ settings: settings.files, notification, origin, raw, size, now: Date.now() });
  for (const { part, file } of written) {
    tools.events('after_work', () => `${origin.where}: part ${part.partPath} (${part.contentType}) ${file.alreadyPresent ? 'already at' : 'written to'} ${file.path}, ${file.size} bytes`);
  }
  if (settings.announce) {
    const announce = settings.announce;
    await Promise.all(written.map(async ({ part, file, envelope }) => {
      const notification = fileNotification(settings, origin.announced, part, file, envelope);
      await announce(notification);
      tools.events('after_post', () => `announced ${notification.baseUrl}${notification.relPath}, ${notification.size} bytes, sha512 ${notification.identity?.value.slice(0, 7)}`);
    }));
  }
  return { kind: 'ingested', files: written.length, filteredOut, setAside };
}

/** The mail action; a message already gone counts as tidied when its files are safe. */
async function actOn(tools: IngestTools, source: MailSource, ref: MailMessageRef, arrival: Arrival, resumed: boolean): Promise<void> {
  const settled = arrival.at + SETTLE_AFTER_REDELIVERY_MS - Date.now();
  if (arrival.redelivered && settled > 0) await new Promise((resolve) => setTimeout(resolve, settled));
  try {
    await tools.actions.apply(source, tools.settings.mailAction, ref.at);
    if (tools.settings.mailAction.kind !== 'none') tools.debug?.(`${ref.where}: mailAction ${mailActionWords(tools.settings.mailAction)} done`);
  } catch (error) {
    if (!(resumed && error instanceof MessageGone)) throw error;
  }
}
