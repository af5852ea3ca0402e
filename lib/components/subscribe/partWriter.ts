// The decoder's sink for one message: decides which parts become files (attachmentsOnly,
// inline, acceptFile/rejectFile on the safe name), stages each in the message's directory
// while it is decoded (a winmail.dat unpacked into its files), and once the message is
// decoded whole, places them all under their names. Nothing is visible under a final name
// before the whole message decoded.
import path from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { type FileRule, fileAccepted } from '../../config/fileRules.js';
import { type MessageHeaders, type MessagePart, type PartSink, UndecodableMessage } from '../../decode/mimeParts.js';
import { safeFileName } from '../../decode/safeName.js';
import { isInside } from '../../decode/templates.js';
import { type TnefNames, tnefReader } from '../../decode/tnef.js';
import { type PlacedFile, StagedFile, type Staging, SUFFIX_RESERVE_BYTES } from '../../output/stagedFile.js';
import { pesStream } from '../../envelopes/pes.js';
import { type EnvelopeDocument, MalformedEnvelope } from '../../envelopes/types.js';
import {
  documentType, type EnvelopeInfo, envelopeInfo, type EnvelopeSettings, envelopeVerdict, INPUT_CAP, isPesHead, malformedReason, SNIFF_BYTES,
} from './envelopeParts.js';

/** Files one message may yield (parts of attached messages and winmail.dat included): a bound on its cost. */
export const MAX_FILES_PER_MESSAGE = 5000;

export interface PartPolicy {
  readonly attachmentsOnly: boolean;
  readonly skipInline: boolean;
  readonly rules: readonly FileRule[];
  readonly acceptUnmatched: boolean;
}

/** Outlook's winmail.dat, by type or by name. */
function isTnef(part: MessagePart): boolean {
  return part.contentType === 'application/ms-tnef' || part.contentType === 'application/vnd.ms-tnef'
    || part.declaredName?.toLowerCase() === 'winmail.dat';
}

interface Staged {
  part: MessagePart;
  readonly file: StagedFile;
  /** the envelope it belongs to (envelopes option) */
  envelope?: EnvelopeInfo;
}

/** A malformed envelope's file, set aside for quarantine with why. */
export interface SetAside {
  readonly part: MessagePart;
  readonly name: string;
  readonly bytes: Buffer;
  readonly reason: string;
}

/** A winmail.dat being unpacked: its files, and itself whole, kept if it cannot be unpacked. */
interface TnefGroup {
  readonly whole: Staged;
  readonly inner: Staged[];
  unpacked: boolean;
}

/** A finished staged file and the part it is: `what` is `2`, `3.1`, `raw`, `2.json`. */
export interface ToPlace {
  readonly file: StagedFile;
  readonly what: string;
}

/** Places files of one message under their names, in the order given. */
export type Placer = (files: readonly ToPlace[]) => Promise<PlacedFile[]>;

/** One after the other (two may want one name): `tag` gives each part its suffix, `mayTake` as StagedFile.place takes it. */
export async function placeInOrder(files: readonly ToPlace[], tag: (what: string) => string, mayTake?: (path: string) => boolean): Promise<PlacedFile[]> {
  const placed: PlacedFile[] = [];
  for (const { file, what } of files) placed.push(await file.place(tag(what), mayTake));
  return placed;
}

export interface WrittenPart {
  readonly part: MessagePart;
  readonly file: PlacedFile;
  readonly envelope?: EnvelopeInfo;
}

export class PartWriter implements PartSink {
  private directory: string | undefined;
  private readonly staged: Staged[] = [];
  private readonly tnefGroups: TnefGroup[] = [];
  headersFound: MessageHeaders = {};
  /** parts left out by acceptFile / rejectFile */
  filteredOut = 0;
  private stagedCount = 0;

  constructor(
    private readonly policy: PartPolicy,
    /** the message's directory; `kind` fills ${KIND}: an envelope's kind, or mail */
    private readonly chooseDirectory: (headers: MessageHeaders, kind?: string) => string,
    private readonly staging: Staging,
    /** the start of every file name (flatten): safe levels and the flatten text */
    private readonly namePrefix = '',
  ) {}

  headers(headers: MessageHeaders): void {
    this.headersFound = headers;
    this.directory = this.chooseDirectory(headers);
  }

  /** The message's directory: chosen from its headers, or without them for a message that has none. */
  private targetDirectory(): string {
    this.directory ??= this.chooseDirectory(this.headersFound);
    return this.directory;
  }

  /** A staged file to be named `name` (or the part's `fallback` name) in the message's directory, or in `directory`. */
  private stageAs(name: string, fallback: string, directory = this.targetDirectory()): StagedFile {
    if (++this.stagedCount > MAX_FILES_PER_MESSAGE) throw new UndecodableMessage(`it holds more than ${MAX_FILES_PER_MESSAGE} files`);
    // safeFileName leaves no separator nor `..`: this guard is the last line, not the first.
    return StagedFile.create(directory, isInside(directory, path.join(directory, name)) ? name : fallback, this.staging);
  }

  open(part: MessagePart): Writable | undefined {
    if (part.kind === 'body' && this.policy.attachmentsOnly) return undefined;
    if (part.kind === 'inline' && this.policy.skipInline) return undefined;
    if (isTnef(part)) return this.openTnef(part);
    const name = this.fileName(part);
    if (!this.accepted(name)) return undefined;
    const file = this.stageAs(this.prefixed(name), this.prefixed(part.fallbackName));
    this.staged.push({ part, file });
    return file.stream;
  }

  private fileName(part: MessagePart): string {
    return safeFileName(part.declaredName ?? part.fallbackName, part.fallbackName, SUFFIX_RESERVE_BYTES);
  }

  /** The name with flatten's folders before it, cut again to fit: acceptFile rules saw the name alone. */
  private prefixed(name: string): string {
    return this.namePrefix === '' ? name : safeFileName(this.namePrefix + name, name, SUFFIX_RESERVE_BYTES);
  }

  /** acceptFile / rejectFile on the file's own name (flatten's folders not in it). */
  private accepted(name: string): boolean {
    if (fileAccepted(this.policy.rules, this.policy.acceptUnmatched, name)) return true;
    this.filteredOut += 1;
    return false;
  }

  /**
   * winmail.dat is unpacked into its files as it streams, and staged whole at the same time:
   * a TNEF stream that turns out broken is written as it came, not lost.
   */
  private openTnef(part: MessagePart): Writable {
    const group: TnefGroup = { whole: { part, file: this.stageAs(this.prefixed(this.fileName(part)), this.prefixed(part.fallbackName)) }, inner: [], unpacked: true };
    this.tnefGroups.push(group);
    const innerPart = (index: number, names: TnefNames = {}): MessagePart => {
      const declaredName = names.longName ?? names.shortName;
      return {
        ...part, partPath: `${part.partPath}.tnef${index}`, contentType: 'application/octet-stream',
        fallbackName: `part-${part.partPath}-${index}.bin`, ...(declaredName ? { declaredName: declaredName.normalize('NFC') } : {}),
      };
    };
    const reader = tnefReader({
      open: (index) => {
        const inner = innerPart(index);
        const staged = { part: inner, file: this.stageAs(this.prefixed(inner.fallbackName), this.prefixed(inner.fallbackName)) };
        group.inner.push(staged);
        return staged.file.stream;
      },
      named: (index, names) => {
        const staged = group.inner[index - 1];
        if (!staged) return;
        staged.part = innerPart(index, names);
        staged.file.rename(this.prefixed(this.fileName(staged.part)));
      },
    });
    reader.on('error', () => { group.unpacked = false; });
    const whole = group.whole.file.stream;
    const wait = (stream: Writable) => new Promise((resolve) => stream.once('drain', resolve));
    return new Writable({
      write(chunk: Buffer, _encoding, done) {
        const pending: Array<Promise<unknown>> = [];
        if (!whole.write(chunk)) pending.push(wait(whole));
        if (group.unpacked && !reader.write(chunk)) pending.push(Promise.race([wait(reader), finished(reader).catch(() => undefined)]));
        Promise.all(pending).then(() => done(), done);
      },
      final(done) {
        whole.end();
        if (group.unpacked) reader.end();
        Promise.all([finished(whole), finished(reader).catch(() => { group.unpacked = false; })]).then(() => done(), done);
      },
    });
  }

  /** Each winmail.dat becomes its files when it could be unpacked, else stays whole. */
  private settleTnef(): void {
    for (const group of this.tnefGroups.splice(0)) {
      const keep = group.unpacked && group.inner.length > 0 ? group.inner : [group.whole];
      for (const staged of [group.whole, ...group.inner]) {
        if (keep.includes(staged) && this.accepted(this.fileName(staged.part))) this.staged.push(staged);
        else staged.file.discard();
      }
    }
  }

  /**
   * With `envelopes`: each file the message yielded (not its bodies) that is an envelope
   * becomes its documents, in its kind's directory; a malformed one is taken out and
   * returned, for quarantine. `groupIdOf(partPath)` names each envelope.
   */
  async settleEnvelopes(settings: EnvelopeSettings, groupIdOf: (partPath: string) => string): Promise<SetAside[]> {
    this.settleTnef();
    const setAside: SetAside[] = [];
    const kept: Staged[] = [];
    for (const staged of this.staged.splice(0)) {
      const name = staged.part.declaredName ?? staged.part.fallbackName;
      // A body is no envelope; a deposit directory's documents (addDocuments) are not decoded
      // further; no envelope is empty or larger than the cap. The rest is told by its first bytes, read once.
      const candidate = staged.part.kind !== 'body' && !staged.envelope && staged.file.size > 0 && staged.file.size <= INPUT_CAP;
      const head = candidate ? await staged.file.head(SNIFF_BYTES) : undefined;
      if (head && isPesHead(settings, head)) {
        const streamed = await this.streamPes(staged, name, groupIdOf(staged.part.partPath));
        if ('reason' in streamed) setAside.push(streamed);
        else kept.push(...streamed);
        continue;
      }
      const verdict = head ? await envelopeVerdict(settings, name, head, staged.file, groupIdOf(staged.part.partPath)) : { outcome: 'keep' as const };
      if (verdict.outcome === 'keep') {
        kept.push(staged);
        continue;
      }
      if (verdict.outcome === 'set_aside') {
        setAside.push({ part: staged.part, name: this.fileName(staged.part), bytes: await staged.file.contents(), reason: verdict.reason });
        staged.file.discard();
        continue;
      }
      const { envelope, info } = verdict;
      const directory = this.chooseDirectory(this.headersFound, envelope.kind);
      for (const [index, document] of envelope.documents.entries()) {
        if (!document.isInput) {
          kept.push(...await this.stageDocuments(staged.part, [{ document, partPath: `${staged.part.partPath}.e${index + 1}` }], envelope.kind, info));
          continue;
        }
        staged.file.moveTo(directory);
        kept.push({ ...staged, envelope: info(document) });
      }
      if (envelope.archive && settings.source) {
        staged.file.moveTo(directory);
        kept.push({ ...staged, envelope: info({ name, role: 'source' }) });
      } else if (!envelope.documents.some((document) => document.isInput)) {
        staged.file.discard();
      }
    }
    this.staged.push(...kept);
    return setAside;
  }

  /**
   * A PES, taken apart as it is read (pes.ts): each PJ staged in the helios directory as it
   * is decoded, named once its NomPJ is read, the PES itself beside them. A malformed one is
   * returned to be set aside, its PJs discarded.
   */
  private async streamPes(staged: Staged, name: string, groupId: string): Promise<Staged[] | SetAside> {
    const directory = this.chooseDirectory(this.headersFound, 'helios');
    const from = staged.part;
    const pjFiles: StagedFile[] = [];
    try {
      const pes = await pesStream(() => staged.file.chunks(), (index) => {
        const fallback = this.prefixed(`part-${from.partPath}.e${index + 2}.bin`);
        pjFiles[index] = this.stageAs(fallback, fallback, directory);
        return pjFiles[index]!.stream;
      });
      const envelope = { kind: 'helios' as const, producer: 'pes-xml', metadata: pes.metadata };
      staged.file.moveTo(directory);
      const kept: Staged[] = [{ ...staged, envelope: envelopeInfo(envelope, groupId, { name, role: pes.role }) }];
      for (const pj of pes.pjs) {
        const file = pjFiles[pj.index]!;
        const partPath = `${from.partPath}.e${pj.index + 2}`;
        const part: MessagePart = { ...from, partPath, declaredName: pj.name, fallbackName: `part-${partPath}.bin`, contentType: documentType(pj.name) };
        const fileName = this.fileName(part);
        if (!this.accepted(fileName)) {
          file.discard();
          continue;
        }
        file.rename(this.prefixed(fileName));
        kept.push({ part, file, envelope: envelopeInfo(envelope, groupId, pj) });
      }
      return kept;
    } catch (error) {
      for (const file of pjFiles) file?.discard();
      if (!(error instanceof MalformedEnvelope)) throw error;
      const reason = { part: from, name: this.fileName(from), bytes: await staged.file.contents(), reason: malformedReason(name, 'helios', 'pes-xml', error.message) };
      staged.file.discard();
      return reason;
    }
  }

  /**
   * An envelope's documents, staged in its kind's directory under their own names (the
   * file filters apply), each described by `info`; `from` is the part they came in.
   */
  private async stageDocuments(from: MessagePart, documents: ReadonlyArray<{ readonly document: EnvelopeDocument; readonly partPath: string }>, kind: string, info: (document: EnvelopeDocument) => EnvelopeInfo): Promise<Staged[]> {
    const directory = this.chooseDirectory(this.headersFound, kind);
    const staged: Staged[] = [];
    for (const { document, partPath } of documents) {
      const part: MessagePart = { ...from, partPath, declaredName: document.name, fallbackName: `part-${partPath}.bin`, contentType: documentType(document.name) };
      const fileName = this.fileName(part);
      if (!this.accepted(fileName)) continue;
      const file = this.stageAs(this.prefixed(fileName), this.prefixed(part.fallbackName), directory);
      staged.push({ part, file, envelope: info(document) });
      await file.writeAll(document.bytes);
    }
    return staged;
  }

  /** A deposit directory's documents (depotParts.ts): staged as an envelope's, to be placed with the rest. */
  async addDocuments(from: MessagePart, documents: ReadonlyArray<{ readonly document: EnvelopeDocument; readonly partPath: string }>, kind: string, info: (document: EnvelopeDocument) => EnvelopeInfo): Promise<void> {
    this.staged.push(...await this.stageDocuments(from, documents, kind, info));
  }

  /** Moves every staged file to its name, with `placer`, which knows the message. */
  async place(placer: Placer): Promise<WrittenPart[]> {
    this.settleTnef();
    const placed = await placer(this.staged.map(({ part, file }) => ({ file, what: part.partPath })));
    const written = this.staged.map(({ part, envelope }, index) => ({ part, file: placed[index]!, ...(envelope ? { envelope } : {}) }));
    this.staged.length = 0;
    return written;
  }

  /** The message failed: no temporary file stays behind. */
  discard(): void {
    for (const group of this.tnefGroups.splice(0)) for (const { file } of [group.whole, ...group.inner]) file.discard();
    for (const { file } of this.staged) file.discard();
    this.staged.length = 0;
  }
}
