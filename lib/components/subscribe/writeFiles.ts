// The decoding half of ingesting a message, run in a decode thread (decodePool.ts) while
// the main thread downloads the next messages: decode the raw message into staged files,
// place them under their names, write the sidecars and the raw backup, fsync their
// directories. Its input and output are plain data, so that they cross between threads.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodeMessageBuffer } from '../../decode/bufferWalk.js';
import { type DecodeOptions, decodeMessage, type MessageHeaders, type PartSink } from '../../decode/mimeParts.js';
import { safeFileName } from '../../decode/safeName.js';
import { level, type TemplateFields, templateDirectory, templateRoot } from '../../decode/templates.js';
import type { PathLayout } from '../../config/pathLayout.js';
import { placementOf } from '../../flow/placement.js';
import type { Notification } from '../../message.js';
import { makeDurable, type SyncMethod } from '../../output/durability.js';
import { partTag, type PlacedFile, StagedFile, type Staging } from '../../output/stagedFile.js';
import type { SubscribeState } from '../../state/subscribeState.js';
import { type DepotInput, feedDepotItem } from './depotParts.js';
import type { Origin } from './origin.js';
import { type EnvelopeInfo, type EnvelopeSettings, groupIdOf } from './envelopeParts.js';
import { type PartPolicy, type Placer, PartWriter, placeInOrder, type SetAside, type WrittenPart } from './partWriter.js';
import { REASON_SUFFIX } from './quarantine.js';

export interface FileSettings {
  readonly directory: string;
  /** mirror, strip and flatten: the relPath's folders below the directory, or before each name */
  readonly layout: PathLayout;
  /** the instance's name (`subscribe_mail_01`): its writers' staging directories start with it */
  readonly writer: string;
  readonly rawDirectory: string | undefined;
  readonly sidecar: boolean;
  readonly decodeDepth: number;
  readonly policy: PartPolicy;
  /** how files are made durable: syncfs of the file system per batch, or fsyncs (durability.ts) */
  readonly syncMethod: SyncMethod;
  /** the envelopes option: Adullact envelopes taken apart (envelopeParts.ts); absent when off */
  readonly envelopes?: EnvelopeSettings;
}

/** The downloaded message: its bytes (a small one), or the temporary file holding it. */
export type RawMessage = { readonly kind: 'memory'; readonly data: Uint8Array } | { readonly kind: 'file'; readonly path: string };

/** What a job decodes: a message, or an item of a watched directory, read where it is (depotParts.ts). */
export type JobInput = RawMessage | DepotInput;

export interface WriteJob {
  readonly settings: FileSettings;
  readonly notification: Notification;
  readonly origin: Origin;
  readonly raw: JobInput;
  /** its size in octets, for the decode budget */
  readonly size: number;
  /** when the job was made: dates in templates are those of the message's ingest */
  readonly now: number;
}

export interface WriteResult {
  readonly written: readonly WrittenPart[];
  readonly filteredOut: number;
  /** malformed envelopes, kept in quarantine instead of directory: where, and why */
  readonly setAside: ReadonlyArray<{ readonly path: string; readonly reason: string }>;
}

function openRaw(raw: RawMessage): Readable {
  return raw.kind === 'memory' ? Readable.from([Buffer.from(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength)]) : fs.createReadStream(raw.path);
}

/**
 * A message in memory is split in memory (bufferWalk.ts: several times faster, the same
 * parts); one on disk, too large to hold, by the streaming walk, which never holds a body.
 */
function decodeRaw(raw: RawMessage, sink: PartSink, options: DecodeOptions): Promise<void> {
  if (raw.kind === 'memory') return decodeMessageBuffer(Buffer.from(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength), sink, options);
  return decodeMessage(openRaw(raw), sink, options);
}

/** The origin's fields, what the notification lacked taken from the message's headers. */
function templateFields(origin: Origin, headers: MessageHeaders, kind?: string): TemplateFields {
  const { fields } = origin;
  const fromHeaders = { from: fields.from ?? headers.from, subject: fields.subject ?? headers.subject, messageId: fields.messageId ?? headers.messageId, kind };
  return { ...fields, ...Object.fromEntries(Object.entries(fromHeaders).filter(([, value]) => value !== undefined)) };
}

/** `writer`: the staging directory name of the thread that writes (see Staging). */
export async function writeMessageFiles(job: WriteJob, state: SubscribeState, writerName: string): Promise<WriteResult> {
  const { settings, notification, origin, raw } = job;
  const now = new Date(job.now);
  const staging = (template: string): Staging => ({ root: templateRoot(template), writer: writerName });
  const placement = placementOf(notification.relPath, settings.layout);
  const directoryOf = (headers: MessageHeaders, kind?: string) => templateDirectory(settings.directory, templateFields(origin, headers, kind), now, placement.levels);
  const namePrefix = placement.nameLevels.map((folder) => `${level(folder)}${placement.flatten}`).join('');
  const writer = new PartWriter(settings.policy, directoryOf, staging(settings.directory), namePrefix);
  let written: WrittenPart[];
  const extra: PlacedFile[] = [];
  const setAside: Array<{ path: string; reason: string }> = [];
  try {
    const groupId = (partPath: string) => groupIdOf(origin.claimKey, partPath);
    // A deposit directory found malformed as a whole: its files are set aside before any is looked at alone.
    const malformed = raw.kind === 'depot' ? await feedDepotItem(raw, writer, settings.envelopes, groupId) : [];
    if (raw.kind !== 'depot') await decodeRaw(raw, writer, { maxDepth: settings.decodeDepth });
    const placer = messagePlacer(state, origin.claimKey, settings.syncMethod);
    if (settings.envelopes) {
      malformed.push(...await writer.settleEnvelopes(settings.envelopes, groupId));
      for (const placed of await quarantineEnvelopes(malformed, settings.envelopes.quarantineDirectory, origin.where, placer, writerName)) {
        extra.push(...placed.files);
        setAside.push({ path: placed.files[0]!.path, reason: placed.reason });
      }
    }
    written = await writer.place(placer);
    if (settings.sidecar) extra.push(...await writeSidecars(written, (part, file, envelope) => sidecarContent(origin, writer.headersFound, part, file, envelope), placer, staging(settings.directory)));
    // A directory's item is its own original: there is no message to keep raw.
    if (settings.rawDirectory !== undefined && origin.rawName !== undefined && raw.kind !== 'depot') {
      const directory = templateDirectory(settings.rawDirectory, templateFields(origin, writer.headersFound), now);
      extra.push(await saveRaw(raw, directory, origin.rawName, placer, staging(settings.rawDirectory)));
    }
  } finally {
    writer.discard();
  }
  const directories = new Set([...written.map(({ file }) => file), ...extra].map((file) => path.dirname(file.path)));
  await makeDurable([...directories], settings.syncMethod);
  return { written, filteredOut: writer.filteredOut, setAside };
}

/**
 * A malformed envelope's file as it came, and `<it>.reason.txt`, in `directory`
 * (quarantineDirectory/envelopes): placed like the message's other files, so that a retry
 * after a crash writes neither twice.
 */
async function quarantineEnvelopes(malformed: readonly SetAside[], directory: string, where: string, placer: Placer, writerName: string): Promise<Array<{ files: PlacedFile[]; reason: string }>> {
  const staging: Staging = { root: directory, writer: writerName };
  const done: Array<{ files: PlacedFile[]; reason: string }> = [];
  for (const entry of malformed) {
    const file = StagedFile.create(directory, entry.name, staging);
    const reason = StagedFile.create(directory, `${entry.name}${REASON_SUFFIX}`, staging);
    try {
      await file.writeAll(entry.bytes);
      await reason.writeAll(Buffer.from(`reason: ${entry.reason}\nmessage: ${where}\npart: ${entry.part.partPath}\n`));
      done.push({ files: await placer([{ file, what: `${entry.part.partPath}.quarantine` }, { file: reason, what: `${entry.part.partPath}.reason` }]), reason: entry.reason });
    } finally {
      file.discard();
      reason.discard();
    }
  }
  return done;
}

function sidecarContent(origin: Origin, headers: MessageHeaders, part: WrittenPart['part'], file: PlacedFile, envelope: EnvelopeInfo | undefined): object {
  return {
    ...origin.provenance,
    messageId: headers.messageId ?? origin.fields.messageId ?? null,
    subject: headers.subject ?? null,
    from: headers.from ?? null,
    date: headers.date ?? null,
    partPath: part.partPath,
    declaredName: part.declaredName ?? null,
    contentType: part.contentType,
    size: file.size,
    sha256: file.sha256,
    ...(envelope ? { envelope } : {}),
  };
}

/**
 * How the message's files take their names: each part (`2`, `3.1`, `raw`, `2.json`) has its
 * own collision suffix, and the plain names of the files are claimed in the state at once,
 * before any is placed, so that a retry knows its own files from another message's with
 * the same name and bytes.
 */
function messagePlacer(state: SubscribeState, claimKey: string, syncMethod: SyncMethod): Placer {
  return async (files) => {
    const ours = await state.claimNamesSoon(files.map(({ file, what }) => ({ path: path.join(file.directory, file.name), owner: `${claimKey}|${what}` })));
    // The bytes of all of them reach the disk in one flush, shared with the other messages of the moment, before any takes its name.
    await StagedFile.makeDurable(files.map(({ file }) => file), syncMethod);
    return placeInOrder(files, (what) => partTag(claimKey, what), (target) => ours.has(target));
  };
}

/**
 * `.<file>.json` beside each file, staged all, then claimed and placed together. The dot
 * is what no attachment's name starts with (safeName.ts): an attachment named `x.pdf.json`
 * cannot pass for x.pdf's sidecar.
 */
async function writeSidecars(written: readonly WrittenPart[], content: (part: WrittenPart['part'], file: PlacedFile, envelope: EnvelopeInfo | undefined) => object, placer: Placer, staging: Staging): Promise<PlacedFile[]> {
  const staged = written.map(({ part, file, envelope }) => ({
    file: StagedFile.create(path.dirname(file.path), ownName(`${path.basename(file.path)}.json`), staging), what: `${part.partPath}.json`, content: content(part, file, envelope),
  }));
  try {
    for (const { file, content: json } of staged) await file.writeAll(Buffer.from(`${JSON.stringify(json, null, 2)}\n`));
    return await placer(staged);
  } finally {
    for (const { file } of staged) file.discard();
  }
}

/** A name of mailpump's own: a dot, then a safe name (which never starts with one). */
function ownName(name: string): string {
  return `.${safeFileName(name, 'message', 1)}`;
}

/** saveRaw: the message as it came, `.<UID>.eml` or `.<UIDL>.eml` (a dot name, as the sidecars). */
async function saveRaw(raw: RawMessage, directory: string, id: string, placer: Placer, staging: Staging): Promise<PlacedFile> {
  const staged = StagedFile.create(directory, ownName(`${id}.eml`), staging);
  try {
    await pipeline(openRaw(raw), staged.stream);
    const [placed] = await placer([{ file: staged, what: 'raw' }]);
    return placed!;
  } finally {
    staged.discard();
  }
}
