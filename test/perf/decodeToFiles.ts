// Decoding one message into files the subscribe's way (the in-memory splitter for a message
// in memory, the streaming walk for one read from disk; PartWriter, StagedFile) with the
// defaults and nothing else: what the ingest bench measures alone.
import { Readable } from 'node:stream';
import { PartWriter, placeInOrder, type WrittenPart } from '../../lib/components/subscribe/partWriter.js';
import { decodeMessageBuffer } from '../../lib/decode/bufferWalk.js';
import { decodeMessage } from '../../lib/decode/mimeParts.js';
import { chooseSyncMethod, type SyncMethod } from '../../lib/output/durability.js';
import { StagedFile } from '../../lib/output/stagedFile.js';

let method: SyncMethod | undefined;

/** `tag` is the collision suffix the message's files take. */
export async function decodeToFiles(message: Readable | Buffer, directory: string, tag: string): Promise<WrittenPart[]> {
  const writer = new PartWriter({ attachmentsOnly: true, skipInline: false, rules: [], acceptUnmatched: true }, () => directory, { root: directory, writer: 'bench' });
  if (message instanceof Readable) await decodeMessage(message, writer, { maxDepth: 3 });
  else await decodeMessageBuffer(message, writer, { maxDepth: 3 });
  method ??= chooseSyncMethod(directory, (process.env.FILE_SYNC ?? 'auto') as 'auto' | SyncMethod).method;
  const durable = method;
  return writer.place(async (files) => {
    await StagedFile.makeDurable(files.map(({ file }) => file), durable);
    return placeInOrder(files, () => tag);
  });
}
