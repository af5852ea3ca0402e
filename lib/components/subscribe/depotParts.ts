// The decoding half of a watched directory's item (in a decode thread, as a message's is):
// a file becomes one part, read where it is; a deposit directory is first looked at whole,
// as a Pastell deposit (../shared/fixtures/adullact/README.md 5), and when it is none, each
// of its files becomes a part. Afterwards the item must still be the one announced: a file
// rewritten while it was read is not written out half old, half new.
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { checkItem } from '../../depot/item.js';
import { DEPOSIT_MARKER, type DepositFile, depositFiles } from '../../depot/listing.js';
import { decodeDepositDirectory } from '../../envelopes/decode.js';
import { METADATA_FILES } from '../../envelopes/pastell.js';
import type { MessagePart } from '../../decode/mimeParts.js';
import { safeFileName } from '../../decode/safeName.js';
import { SUFFIX_RESERVE_BYTES } from '../../output/stagedFile.js';
import { documentType, envelopeInfo, type EnvelopeSettings, INPUT_CAP } from './envelopeParts.js';
import type { PartWriter, SetAside } from './partWriter.js';

/** An item of a watched directory, as a decode job names it. */
export interface DepotInput {
  readonly kind: 'depot';
  readonly path: string;
  readonly name: string;
  readonly entry: 'file' | 'deposit';
  /** the version announced (listing.ts itemKey) */
  readonly item: string;
}

function filePart(partPath: string, name: string): MessagePart {
  return { partPath, kind: 'attachment', declaredName: name.normalize('NFC'), fallbackName: `part-${partPath}.bin`, contentType: documentType(name), depth: 0 };
}

async function feedFile(writer: PartWriter, part: MessagePart, file: string): Promise<void> {
  const sink = writer.open(part);
  if (sink) await pipeline(fs.createReadStream(file), sink);
}

/** Feeds the item's files to `writer`; returns the files of a malformed deposit, set aside whole. */
export async function feedDepotItem(input: DepotInput, writer: PartWriter, envelopes: EnvelopeSettings | undefined, groupIdOf: (partPath: string) => string): Promise<SetAside[]> {
  writer.headers({});
  let setAside: SetAside[] | undefined;
  if (input.entry === 'file') {
    await feedFile(writer, filePart('1', input.name), input.path);
  } else {
    const { files, strange } = depositFiles(input.path);
    setAside = envelopes ? await feedDeposit(input, files, strange, writer, envelopes, groupIdOf('1')) : undefined;
    // No deposit: its files, each on its own (any may be an envelope); the marker says nothing.
    if (!setAside) for (const [index, file] of files.filter((file) => file.name !== DEPOSIT_MARKER).entries()) await feedFile(writer, filePart(String(index + 1), file.name), file.path);
  }
  checkItem(input.path, input.entry, input.item);
  return setAside ?? [];
}

/**
 * A deposit directory taken apart as an envelope: its documents staged with their roles,
 * the files it does not list kept beside them (role `unlisted`: the item may be deleted
 * afterwards, and nothing is lost for want of a metadata line). Returns what is set aside
 * when it is malformed, [] once staged, undefined when it is no deposit of the kinds asked for.
 */
async function feedDeposit(input: DepotInput, files: readonly DepositFile[], strange: readonly string[], writer: PartWriter, envelopes: EnvelopeSettings, groupId: string): Promise<SetAside[] | undefined> {
  if (!files.some((file) => METADATA_FILES.includes(file.name))) return undefined;
  const total = files.reduce((sum, file) => sum + file.size, 0);
  const whole: MessagePart = { ...filePart('1', input.name), contentType: 'inode/directory' };
  if (total > INPUT_CAP) return undefined; // too large to be a deposit: its files go on their own, streamed
  const bytes = new Map<string, Buffer>();
  for (const file of files) bytes.set(file.name, await fs.promises.readFile(file.path));
  // Set aside whole, from the bytes read: each file as `<deposit>__<file>`.
  const malformed = (reason: string): SetAside[] => files.map((file, index) => ({
    part: { ...whole, partPath: `1.${index + 1}` }, name: safeFileName(`${input.name}__${file.name}`, `deposit-${index + 1}.bin`, SUFFIX_RESERVE_BYTES), bytes: bytes.get(file.name)!,
    reason: `${input.name}: a malformed Pastell deposit: ${reason}`,
  }));
  const result = await decodeDepositDirectory(bytes, new Set(envelopes.kinds));
  if (result.outcome === 'not_envelope') return undefined;
  if (result.outcome === 'malformed') return malformed(result.reason);
  if (strange.length > 0) return malformed(`it holds ${strange.map((name) => JSON.stringify(name)).join(', ')}, which ${strange.length === 1 ? 'is' : 'are'} not a plain file (a link, a directory): a deposit is files only`);
  const { envelope } = result;
  const listed = new Set(envelope.documents.map((document) => document.name));
  const unlisted = files.filter((file) => !listed.has(file.name) && file.name !== DEPOSIT_MARKER && !METADATA_FILES.includes(file.name))
    .map((file) => ({ name: file.name, role: 'unlisted', bytes: bytes.get(file.name)! }));
  const documents = [...envelope.documents, ...unlisted].map((document, index) => ({ document, partPath: `1.e${index + 1}` }));
  await writer.addDocuments(whole, documents, envelope.kind, (document) => envelopeInfo(envelope, groupId, document));
  return [];
}
