// One message, start to end: download it (binary-exact, size checked; in memory or to a
// temporary file, by size), decode it into staged files, place them, write sidecars and
// the raw backup, announce the files downstream, record that all of it is durable, then
// act on the server and record the message done. Each step is safe to repeat: a retry after a crash finds its files already
// in place (same name, same bytes) and writes nothing twice.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodeMessage, type MessageHeaders } from '../../decode/mimeParts.js';
import { safeFileName } from '../../decode/safeName.js';
import { type TemplateFields, templateDirectory } from '../../decode/templates.js';
import { type MailAction, type MailSource, MessageGone } from '../../mail/mailSource.js';
import type { Notification } from '../../message.js';
import { partTag, type PlacedFile, StagedFile, syncDirectory } from '../../output/stagedFile.js';
import type { SubscribeState } from '../../state/subscribeState.js';
import type { ActionBatcher } from './actionBatcher.js';
import type { MailMessageRef } from './mailNotification.js';
import { type PartPolicy, PartWriter, type WrittenPart } from './partWriter.js';
import { fileNotification } from './post.js';

/** The message is larger than maxMessageSize: it is not downloaded. */
export class MessageTooLarge extends Error {}

export interface IngestSettings {
  readonly directory: string;
  readonly rawDirectory: string | undefined;
  readonly sidecar: boolean;
  readonly decodeDepth: number;
  readonly policy: PartPolicy;
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
}

/** `${FOLDER}` levels come from the relPath, where the poll wrote the folder's hierarchy. */
function folderLevels(notification: Notification, ref: MailMessageRef): string[] {
  if (ref.at.protocol === 'pop3') return ['INBOX'];
  return notification.relPath.split('/').slice(0, -1).map((word) => word.replaceAll('%2F', '/').replaceAll('%25', '%'));
}

function templateFields(notification: Notification, ref: MailMessageRef, headers: MessageHeaders): TemplateFields {
  const mail = ref.mail;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const fields = {
    folder: ref.at.protocol === 'imap' ? ref.at.folder : 'INBOX',
    folderLevels: folderLevels(notification, ref),
    from: text(mail.from) ?? headers.from,
    subject: text(mail.subject) ?? headers.subject,
    uid: ref.at.protocol === 'imap' ? ref.at.uid : undefined,
    uidl: ref.at.protocol === 'pop3' ? ref.at.uidl : undefined,
    messageId: ref.expected.messageId ?? headers.messageId,
    account: `${ref.account.user}@${ref.account.host}`,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as TemplateFields;
}

/** Messages up to this size are kept in memory between download and decoding (see downloadRaw). */
const IN_MEMORY_OCTETS = 1024 * 1024;

/** Opens the downloaded message for reading, as many times as needed (decoding, saveRaw). */
type OpenRaw = () => Readable;

/**
 * Downloads the message and runs `work` on it. A small message is kept in memory: creating
 * a file costs about a millisecond on the disks measured (docs/performance.md), as much as
 * decoding the message, and small ones are most of the mail. A larger one goes to a
 * temporary file in the state directory, removed whatever happens. Either way memory is
 * bounded: at most IN_MEMORY_OCTETS for each message in flight.
 */
async function downloadRaw<T>(source: MailSource, ref: MailMessageRef, directory: string, work: (openRaw: OpenRaw) => Promise<T>): Promise<T> {
  if (ref.expected.size !== undefined && ref.expected.size <= IN_MEMORY_OCTETS) {
    const chunks: Buffer[] = [];
    await source.download(ref.at, ref.expected, new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    }));
    return work(() => Readable.from(chunks));
  }
  fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  const file = path.join(directory, `${crypto.randomBytes(8).toString('hex')}.eml`);
  try {
    await source.download(ref.at, ref.expected, fs.createWriteStream(file, { mode: 0o600 }));
    return await work(() => fs.createReadStream(file));
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
  const outcome = await downloadRaw(source, ref, settings.incomingDirectory, (openRaw) => writeFiles(tools, notification, ref, openRaw));
  state.markPosted(ref.serverKey);
  await actOn(tools, source, ref, false);
  state.markDone(keys);
  return outcome;
}

async function writeFiles(tools: IngestTools, notification: Notification, ref: MailMessageRef, openRaw: OpenRaw): Promise<IngestOutcome> {
  const { settings } = tools;
  const now = new Date();
  const writer = new PartWriter(settings.policy, (headers) => templateDirectory(settings.directory, templateFields(notification, ref, headers), now));
  let written: WrittenPart[];
  const extra: PlacedFile[] = [];
  try {
    await decodeMessage(openRaw(), writer, { maxDepth: settings.decodeDepth });
    const placeFile = placer(tools, ref);
    written = await writer.place(placeFile);
    if (settings.sidecar) {
      for (const { part, file } of written) extra.push(await writeSidecar(file, part.partPath, sidecarContent(ref, writer.headersFound, part, file), placeFile));
    }
    if (settings.rawDirectory !== undefined) {
      const directory = templateDirectory(settings.rawDirectory, templateFields(notification, ref, writer.headersFound), now);
      extra.push(await saveRaw(openRaw, directory, ref, placeFile));
    }
  } finally {
    writer.discard();
  }
  const directories = new Set([...written.map(({ file }) => file), ...extra].map((file) => path.dirname(file.path)));
  await Promise.all([...directories].map(syncDirectory));
  if (settings.announce) {
    await Promise.all(written.map(({ part, file }) => settings.announce!(fileNotification(settings, ref, part, file))));
  }
  return { kind: 'ingested', files: written.length, filteredOut: writer.filteredOut };
}

function sidecarContent(ref: MailMessageRef, headers: MessageHeaders, part: WrittenPart['part'], file: PlacedFile): object {
  const at = ref.at;
  return {
    account: ref.account.label,
    ...(at.protocol === 'imap' ? { folder: at.folder, uidValidity: at.uidValidity, uid: at.uid } : { uidl: at.uidl }),
    messageId: headers.messageId ?? ref.expected.messageId ?? null,
    subject: headers.subject ?? null,
    from: headers.from ?? null,
    date: headers.date ?? null,
    partPath: part.partPath,
    declaredName: part.declaredName ?? null,
    contentType: part.contentType,
    size: file.size,
    sha256: file.sha256,
  };
}

type PlaceFile = (file: StagedFile, what: string) => Promise<PlacedFile>;

/**
 * How the message's files take their names: each part (`2`, `3.1`, `raw`, `2.json`) has its
 * own collision suffix and claims its name in the state, so that a retry finds its own files.
 */
function placer(tools: IngestTools, ref: MailMessageRef): PlaceFile {
  return (file, what) => file.place(partTag(ref.serverKey, what), (target) => tools.state.claimName(target, `${ref.serverKey}|${what}`));
}

async function writeSidecar(file: PlacedFile, partPath: string, content: object, placeFile: PlaceFile): Promise<PlacedFile> {
  const staged = StagedFile.create(path.dirname(file.path), `${path.basename(file.path)}.json`);
  try {
    await staged.writeAll(Buffer.from(`${JSON.stringify(content, null, 2)}\n`));
    return await placeFile(staged, `${partPath}.json`);
  } finally {
    staged.discard();
  }
}

/** saveRaw: the message as it came, `<UID>.eml` or `<UIDL>.eml`. */
async function saveRaw(openRaw: OpenRaw, directory: string, ref: MailMessageRef, placeFile: PlaceFile): Promise<PlacedFile> {
  const id = ref.at.protocol === 'imap' ? String(ref.at.uid) : ref.at.uidl;
  const staged = StagedFile.create(directory, safeFileName(`${id}.eml`, 'message.eml'));
  try {
    await pipeline(openRaw(), staged.stream);
    return await placeFile(staged, 'raw');
  } finally {
    staged.discard();
  }
}

/** The mail action; a message already gone counts as tidied when its files are safe. */
async function actOn(tools: IngestTools, source: MailSource, ref: MailMessageRef, resumed: boolean): Promise<void> {
  try {
    await tools.actions.apply(source, tools.settings.mailAction, ref.at);
  } catch (error) {
    if (!(resumed && error instanceof MessageGone)) throw error;
  }
}
