// One message, start to end: download it (binary-exact, size checked; in memory or to a
// temporary file, by size), have a decode thread write its files (writeFiles.ts), announce
// them downstream, record that all of it is durable, then act on the server and record the
// message done. Each step is safe to repeat: a retry after a crash finds its files already
// in place (same name, same bytes) and writes nothing twice.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { type MailAction, type MailSource, MessageGone } from '../../mail/mailSource.js';
import type { Notification } from '../../message.js';
import type { SubscribeState } from '../../state/subscribeState.js';
import type { ActionBatcher } from './actionBatcher.js';
import type { DecodePool } from './decodePool.js';
import type { MailMessageRef } from './mailNotification.js';
import { fileNotification } from './post.js';
import type { FileSettings, RawMessage } from './writeFiles.js';

/** The message is larger than maxMessageSize: it is not downloaded. */
export class MessageTooLarge extends Error {}

export interface IngestSettings {
  /** what the decode threads need: it crosses to them as it is */
  readonly files: FileSettings;
  readonly mailAction: MailAction;
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
  | { readonly kind: 'ingested'; readonly files: number; readonly filteredOut: number }
  | { readonly kind: 'duplicate'; readonly of: string }
  | { readonly kind: 'resumed' };

export interface IngestTools {
  readonly settings: IngestSettings;
  readonly state: SubscribeState;
  readonly actions: ActionBatcher;
  readonly decoders: DecodePool;
}

/** Messages up to this size are kept in memory between download and decoding (see downloadRaw). */
const IN_MEMORY_OCTETS = 1024 * 1024;

/**
 * Downloads the message and runs `work` on it. A small message is kept in memory: writing
 * and reading back a temporary file cost up to a millisecond on the disks measured
 * (docs/performance.md), as much as decoding the message, and small ones are most of the
 * mail. A larger one goes to a temporary file in the state directory, removed whatever
 * happens. Either way memory is bounded: at most IN_MEMORY_OCTETS per message in flight.
 */
async function downloadRaw<T>(source: MailSource, ref: MailMessageRef, directory: string, work: (raw: RawMessage) => Promise<T>): Promise<T> {
  if (ref.expected.size !== undefined && ref.expected.size <= IN_MEMORY_OCTETS) {
    const chunks: Buffer[] = [];
    await source.download(ref.at, ref.expected, new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    }));
    return work({ kind: 'memory', data: Buffer.concat(chunks) });
  }
  fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  const file = path.join(directory, `${crypto.randomBytes(8).toString('hex')}.eml`);
  try {
    await source.download(ref.at, ref.expected, fs.createWriteStream(file, { mode: 0o600 }));
    return await work({ kind: 'file', path: file });
  } finally {
    fs.rmSync(file, { force: true });
  }
}

export async function ingestMessage(tools: IngestTools, source: MailSource, notification: Notification, ref: MailMessageRef): Promise<IngestOutcome> {
  const { settings, state } = tools;
  const keys = [ref.serverKey, ...(ref.contentKey ? [ref.contentKey] : [])];
  if (state.isPosted(ref.serverKey)) {
    // Files and notifications were made durable before a stop or crash: only the action is left.
    await actOn(tools, source, ref, true);
    state.markDone(keys);
    return { kind: 'resumed' };
  }
  const sameMail = ref.contentKey && state.doneKey([ref.contentKey]);
  if (sameMail) {
    // The same mail, seen before at another place (copied, delivered twice): tidied like the rest, not written again.
    await actOn(tools, source, ref, false);
    state.markDone(keys);
    return { kind: 'duplicate', of: ref.expected.messageId ?? '' };
  }
  if (settings.maxMessageSize > 0 && (ref.expected.size ?? 0) > settings.maxMessageSize) {
    throw new MessageTooLarge(`${ref.where} is ${ref.expected.size} bytes, more than maxMessageSize ${settings.maxMessageSize}`);
  }
  const outcome = await downloadRaw(source, ref, settings.incomingDirectory, (raw) => writeAndAnnounce(tools, notification, ref, raw));
  state.markPosted(ref.serverKey);
  await actOn(tools, source, ref, false);
  state.markDone(keys);
  return outcome;
}

async function writeAndAnnounce(tools: IngestTools, notification: Notification, ref: MailMessageRef, raw: RawMessage): Promise<IngestOutcome> {
  const { settings } = tools;
  const { written, filteredOut } = await tools.decoders.run({ settings: settings.files, notification, ref, raw, now: Date.now() });
  if (settings.announce) {
    await Promise.all(written.map(({ part, file }) => settings.announce!(fileNotification(settings, ref, part, file))));
  }
  return { kind: 'ingested', files: written.length, filteredOut };
}

/** The mail action; a message already gone counts as tidied when its files are safe. */
async function actOn(tools: IngestTools, source: MailSource, ref: MailMessageRef, resumed: boolean): Promise<void> {
  try {
    await tools.actions.apply(source, tools.settings.mailAction, ref.at);
  } catch (error) {
    if (!(resumed && error instanceof MessageGone)) throw error;
  }
}
