// Decoding one message into files the subscribe's way (mailsplit walk, PartWriter,
// StagedFile) with the defaults and nothing else: what the ingest bench measures alone.
import type { Readable } from 'node:stream';
import { PartWriter, placeInOrder, type WrittenPart } from '../../lib/components/subscribe/partWriter.js';
import { decodeMessage } from '../../lib/decode/mimeParts.js';

/** `tag` is the collision suffix the message's files take. */
export async function decodeToFiles(message: Readable, directory: string, tag: string): Promise<WrittenPart[]> {
  const writer = new PartWriter({ attachmentsOnly: true, skipInline: false, rules: [], acceptUnmatched: true }, () => directory, { root: directory, writer: 'bench' });
  await decodeMessage(message, writer, { maxDepth: 3 });
  return writer.place((files) => placeInOrder(files, () => tag));
}
