// The decoder's sink for one message: decides which parts become files (attachmentsOnly,
// inline, acceptFile/rejectFile on the safe name), stages each in the message's directory
// while it is decoded, and once the message is decoded whole, places them all under their
// names. Nothing is visible under a final name before the whole message decoded.
import path from 'node:path';
import type { Writable } from 'node:stream';
import { type FileRule, fileAccepted } from '../../config/fileRules.js';
import type { MessageHeaders, MessagePart, PartSink } from '../../decode/mimeParts.js';
import { safeFileName } from '../../decode/safeName.js';
import { isInside } from '../../decode/templates.js';
import { type PlacedFile, StagedFile, SUFFIX_RESERVE_BYTES } from '../../output/stagedFile.js';

export interface PartPolicy {
  readonly attachmentsOnly: boolean;
  readonly skipInline: boolean;
  readonly rules: readonly FileRule[];
  readonly acceptUnmatched: boolean;
}

export interface WrittenPart {
  readonly part: MessagePart;
  readonly file: PlacedFile;
}

export class PartWriter implements PartSink {
  private directory: string | undefined;
  private readonly staged: Array<{ readonly part: MessagePart; readonly file: StagedFile }> = [];
  headersFound: MessageHeaders = {};
  /** parts left out by acceptFile / rejectFile */
  filteredOut = 0;

  constructor(private readonly policy: PartPolicy, private readonly chooseDirectory: (headers: MessageHeaders) => string) {}

  headers(headers: MessageHeaders): void {
    this.headersFound = headers;
    this.directory = this.chooseDirectory(headers);
  }

  open(part: MessagePart): Writable | undefined {
    if (part.kind === 'body' && this.policy.attachmentsOnly) return undefined;
    if (part.kind === 'inline' && this.policy.skipInline) return undefined;
    const name = safeFileName(part.declaredName ?? part.fallbackName, part.fallbackName, SUFFIX_RESERVE_BYTES);
    if (!fileAccepted(this.policy.rules, this.policy.acceptUnmatched, name)) {
      this.filteredOut += 1;
      return undefined;
    }
    this.directory ??= this.chooseDirectory(this.headersFound);
    // safeFileName leaves no separator nor `..`: this guard is the last line, not the first.
    if (!isInside(this.directory, path.join(this.directory, name))) throw new Error(`${name}: would be written outside ${this.directory}`);
    const file = StagedFile.create(this.directory, name);
    this.staged.push({ part, file });
    return file.stream;
  }

  /** Moves every staged file to its name, with `placeFile`, which knows the message. */
  async place(placeFile: (file: StagedFile, what: string) => Promise<PlacedFile>): Promise<WrittenPart[]> {
    const written: WrittenPart[] = [];
    for (const { part, file } of this.staged) written.push({ part, file: await placeFile(file, part.partPath) });
    this.staged.length = 0;
    return written;
  }

  /** The message failed: no temporary file stays behind. */
  discard(): void {
    for (const { file } of this.staged) file.discard();
    this.staged.length = 0;
  }
}
