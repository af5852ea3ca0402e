// Streaming MIME decoding: walks a raw message with mailsplit's Splitter (the layer under
// mailparser: three times its speed, and it never buffers a body) and hands each leaf part,
// decoded from base64 or quoted-printable, to a sink that writes it. Attached messages
// (message/rfc822) are opened by feeding their body to a nested walk, up to a depth; below
// that they are handed over whole, as .eml. Memory does not depend on a part's size: a body
// chunk is written before the next one is read.
import { PassThrough, type Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Splitter } from '@zone-eu/mailsplit';
import type { MimeNode, SplitterChunk } from '@zone-eu/mailsplit/lib/types.js';
import iconv from 'iconv-lite';
import libmime from 'libmime';
import { optional } from '../system/optional.js';

export type PartKind = 'attachment' | 'inline' | 'body' | 'message';

export interface MessagePart {
  /** IMAP-style part number: `2`, or `3.1` inside the message attached as part 3 */
  readonly partPath: string;
  readonly kind: PartKind;
  /** the decoded name the mail declares (RFC 2047 / 2231 undone, NFC), if any */
  readonly declaredName?: string;
  /** the name to use when there is none: `part-2.pdf`, `body.txt` */
  readonly fallbackName: string;
  readonly contentType: string;
  /** how many attached messages deep the part sits: 0 in the message itself */
  readonly depth: number;
}

/** The top headers of the message, read before any part is handed over. */
export interface MessageHeaders {
  readonly messageId?: string;
  readonly subject?: string;
  readonly from?: string;
  readonly date?: string;
}

export interface PartSink {
  /** Called once, before any part: a throw stops the decoding (the message is not the one announced). */
  headers(headers: MessageHeaders): void;
  /** A writable for the part's decoded bytes, or undefined to leave it out. */
  open(part: MessagePart): Writable | undefined;
}

export interface DecodeOptions {
  /** attached messages opened this many levels deep */
  readonly maxDepth: number;
  /** a header block larger than this makes the message undecodable */
  readonly maxHeaderBytes?: number;
}

/** The message cannot be decoded (a broken structure the parser refuses): retrying will not help. */
export class UndecodableMessage extends Error {}

const TEXT_BODY = new Set(['text/plain', 'text/html']);

function headerText(node: MimeNode, key: string): string | undefined {
  const value = node.headers ? node.headers.getFirst(key) : '';
  if (!value) return undefined;
  return libmime.decodeWords(value).replace(/\s+/g, ' ').trim() || undefined;
}

/** The top headers of a message's root node, as both walks hand them to the sink. */
export function rootHeaders(node: MimeNode): MessageHeaders {
  return {
    ...optional('messageId', node.headers ? node.headers.getFirst('message-id').trim() || undefined : undefined),
    ...optional('subject', headerText(node, 'subject')),
    ...optional('from', headerText(node, 'from')),
    ...optional('date', headerText(node, 'date')),
  };
}

export function nodePartPath(node: MimeNode, prefix: string): string {
  const own = Array.isArray(node.partNr) && node.partNr.every((item) => typeof item === 'number') && node.partNr.length > 0
    ? node.partNr.join('.')
    : '1'; // a message that is not multipart: its one part is part 1, as IMAP numbers it
  return prefix ? `${prefix}.${own}` : own;
}

export function classify(node: MimeNode, contentType: string): PartKind {
  if (contentType === 'message/rfc822') return 'message';
  const disposition = node.disposition || '';
  if (disposition === 'attachment') return 'attachment';
  if (!node.filename && TEXT_BODY.has(contentType)) return 'body';
  // Shown inside the message: declared inline, or an image of an HTML body (multipart/related).
  const parent = node.parentNode;
  if (disposition === 'inline' || (parent && parent.multipart === 'related')) return 'inline';
  return 'attachment';
}

export function fallbackName(kind: PartKind, contentType: string, partPath: string, bodyNames: Set<string>): string {
  if (kind === 'body') {
    const name = contentType === 'text/html' ? 'body.html' : 'body.txt';
    if (!bodyNames.has(name)) {
      bodyNames.add(name);
      return name;
    }
    return `body-${partPath}.${contentType === 'text/html' ? 'html' : 'txt'}`;
  }
  const extension = kind === 'message' ? 'eml' : libmime.detectExtension(contentType);
  return `part-${partPath}.${extension}`;
}

/** Text bodies are written as UTF-8 whatever charset they came in (a decoder keeps a character split across chunks). */
export function toUtf8(charset: string | false): Transform | undefined {
  const name = (charset || 'us-ascii').toLowerCase();
  if (name === 'utf-8' || name === 'utf8' || name === 'us-ascii' || !iconv.encodingExists(name)) return undefined;
  const decoder = iconv.getDecoder(name);
  const utf8 = (text: string | undefined) => (text ? Buffer.from(text, 'utf8') : undefined);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) { done(null, utf8(decoder.write(chunk))); },
    flush(done) { done(null, utf8(decoder.end())); },
  });
}

interface OpenPart {
  readonly decoder: NodeJS.ReadWriteStream;
  readonly done: Promise<void>;
  /** ends the part's writing at once: the message failed */
  readonly abort: (error: Error) => void;
}

/** mailsplit's refusals: a header or a part count over its limits. Retrying cannot help. */
export const SPLITTER_LIMIT = /Max header size|Max allowed child nodes|Max child node count/i;

/**
 * Decodes the raw message from `source`, handing each part to `sink`. Resolves when every
 * part handed over has been written (each sink writable has finished).
 */
export async function decodeMessage(source: Readable, sink: PartSink, options: DecodeOptions): Promise<void> {
  await walk(source, sink, options, '', 0, new Set());
}

async function walk(source: Readable, sink: PartSink, options: DecodeOptions, prefix: string, depth: number, bodyNames: Set<string>): Promise<void> {
  const splitter = new Splitter({ ignoreEmbedded: true, ...(options.maxHeaderBytes ? { maxHeadSize: options.maxHeaderBytes } : {}) });
  let current: OpenPart | undefined;
  /** the chunk being handed on, and whether the walk has failed: see the catch below */
  let writing: Promise<void> = Promise.resolve();
  let stopped = false;
  /** leaf parts met: a multipart message with none is one whose parts cannot be told apart */
  let leaves = 0;
  let rootType: string | undefined;

  const finishCurrent = async () => {
    if (!current) return;
    const part = current;
    current = undefined;
    part.decoder.end();
    await part.done;
  };

  const openPart = (node: MimeNode): OpenPart | undefined => {
    const contentType = (node.contentType || 'text/plain').toLowerCase();
    const partPath = nodePartPath(node, prefix);
    const kind = classify(node, contentType);
    const declared = node.filename ? node.filename.normalize('NFC') : undefined;
    if (kind === 'message' && depth < options.maxDepth) {
      // The attached message's body is a message: it is decoded by a walk of its own.
      const decoder = node.getDecoder() as unknown as NodeJS.ReadWriteStream;
      const nested = new PassThrough();
      decoder.pipe(nested);
      const done = walk(nested, sink, options, partPath, depth + 1, new Set());
      return { decoder, done, abort: (error) => { nested.destroy(error); (decoder as unknown as PassThrough).destroy(error); } };
    }
    const part: MessagePart = {
      partPath, kind, contentType, depth,
      ...(declared ? { declaredName: declared } : {}),
      fallbackName: fallbackName(kind, contentType, partPath, bodyNames),
    };
    const target = sink.open(part);
    if (!target) return undefined;
    const decoder = node.getDecoder() as unknown as NodeJS.ReadWriteStream;
    const charset = kind === 'body' ? toUtf8(node.charset) : undefined;
    const done = charset
      ? pipeline(decoder, charset, target)
      : pipeline(decoder, target);
    return { decoder, done, abort: (error) => (decoder as unknown as PassThrough).destroy(error) };
  };

  const consumer = new Writable({
    objectMode: true,
    write(chunk: SplitterChunk, _encoding, callback) {
      writing = (async () => {
        if (chunk.type === 'node') {
          await finishCurrent();
          // The walk failed while this part ended: nothing more is opened, it would outlive the message.
          if (stopped) return;
          if (chunk.root) rootType = chunk.multipart ? (chunk.contentType || 'multipart') : undefined;
          if (chunk.root && depth === 0) sink.headers(rootHeaders(chunk));
          if (!chunk.multipart) {
            leaves += 1;
            current = openPart(chunk);
          }
        } else if (chunk.type === 'body' && current) {
          const part = current;
          if (!part.decoder.write(chunk.value)) await waitDrainOrEnd(part);
        }
      })();
      writing.then(() => callback(), failed(callback));
    },
    final(callback) {
      finishCurrent().then(() => callback(), failed(callback));
    },
  });
  // Whose failure it is decides what it means: the sink's (a disk, a template) stays as it
  // is, the splitter's (a structure it refuses) makes the message undecodable.
  let sinkError: unknown;
  function failed(callback: (error: Error) => void) {
    return (error: Error) => {
      sinkError = error;
      callback(error);
    };
  }
  try {
    await pipeline(source, splitter, consumer);
  } catch (error) {
    // The part being written is ended too, and its failure awaited here: left alone, it
    // would fail later with nobody to hear it, and take the decode thread with it. The
    // chunk in hand is let finish first, so that no part opens after the walk returned.
    stopped = true;
    await writing.catch(() => undefined);
    const open = current;
    current = undefined;
    if (open) {
      open.abort(error instanceof Error ? error : new Error(String(error)));
      await open.done.catch(() => undefined);
    }
    if (error === sinkError || error instanceof UndecodableMessage) throw error;
    if (error instanceof Error && (SPLITTER_LIMIT.test(error.message) || !('code' in error))) {
      throw new UndecodableMessage(`the MIME structure cannot be read: ${(error as Error).message}`);
    }
    throw error;
  }
  if (rootType !== undefined && leaves === 0) {
    // No boundary, an empty one, or one that never appears: tidying such a mail away with
    // nothing written would lose it, so it is not decoded (and ends in quarantine, kept whole).
    throw new UndecodableMessage(`a ${rootType} message${prefix ? ` (attached as part ${prefix})` : ''} whose parts cannot be told apart (no usable boundary)`);
  }
}

/** Waits until the part's decoder takes more, or until its writing failed (the failure surfaces at its end). */
function waitDrainOrEnd(part: OpenPart): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      part.decoder.off('drain', done);
      resolve();
    };
    part.decoder.once('drain', done);
    part.done.then(done, done);
  });
}
