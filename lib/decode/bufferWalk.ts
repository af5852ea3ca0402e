// The decode of a message held whole in memory: split by mimeSplit.ts (no stream, no
// per-line JavaScript), each leaf's transfer encoding undone in one go, and handed to the
// same sink as the streaming walk of mimeParts.ts, with the same parts, names and bytes.
// Attached messages are decoded and split in memory too, up to the depth limit.
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MimeNode } from '@zone-eu/mailsplit/lib/types.js';
import libbase64 from 'libbase64';
import libqp from 'libqp';
import { optional } from '../system/optional.js';
import {
  classify, type DecodeOptions, fallbackName, type MessagePart, nodePartPath, type PartSink, rootHeaders, toUtf8, UndecodableMessage,
} from './mimeParts.js';
import { splitMessage } from './mimeSplit.js';

const NOT_BASE64 = /[^a-zA-Z0-9+/=]/;
const NOT_BASE64_ALL = /[^a-zA-Z0-9+/=]/g;
const EQUALS = 0x3d;
const DASH = 0x2d;
const UNDERSCORE = 0x5f;
/** the end of a body padded at its end only (what nearly every encoder writes): padding, then only what both decoders skip */
const PADDING_END = /^=*[^a-zA-Z0-9+/=_-]*$/;

/**
 * base64 decoded as libbase64's Decoder stream decodes the same chunks (the one mailsplit
 * uses): characters outside the alphabet dropped, each padded run decoded on its own,
 * quartets counted from the last padding of a chunk.
 */
function decodeBase64(chunks: readonly Buffer[]): Buffer[] {
  // The common case in one native call: Node's decoder skips what is not base64 (line
  // ends, blanks, other bytes) as libbase64 strips it, and with the padding at the end
  // only it gives what libbase64 gives. It differs on "-" and "_" (which it reads as
  // base64url) and on a padding in the middle (where it stops and libbase64 goes on):
  // those are looked for with memchr-fast Buffer.indexOf rather than a regex over the text.
  if (chunks.length === 1) {
    const body = chunks[0]!;
    const padding = body.indexOf(EQUALS);
    if (body.indexOf(DASH) < 0 && body.indexOf(UNDERSCORE) < 0 && (padding < 0 || PADDING_END.test(body.toString('latin1', padding)))) {
      return [Buffer.from(body.toString('latin1'), 'base64')];
    }
  }
  const out: Buffer[] = [];
  let carry = '';
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    let text = carry + chunk.toString('latin1');
    carry = '';
    if (NOT_BASE64.test(text)) text = text.replace(NOT_BASE64_ALL, '');
    let padded = '';
    const lastPad = text.lastIndexOf('=');
    if (lastPad >= 0) {
      padded = text.slice(0, lastPad + 1);
      text = text.slice(lastPad + 1);
    }
    if (text.length < 4) {
      carry = text;
      text = '';
    } else if (text.length % 4) {
      carry = text.slice(-(text.length % 4));
      text = text.slice(0, text.length - carry.length);
    }
    const whole = padded + text;
    if (whole) out.push(libbase64.decode(whole));
  }
  if (carry) out.push(libbase64.decode(carry));
  return out;
}

/** A leaf's bytes with its Content-Transfer-Encoding undone, as mailsplit's decoders give them. */
function decodeBody(node: MimeNode, chunks: readonly Buffer[]): Buffer[] {
  switch (node.encoding) {
    case 'base64': return decodeBase64(chunks);
    case 'quoted-printable': {
      const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      return total === 0 ? [] : [libqp.decode(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total))];
    }
    default: return chunks.filter((chunk) => chunk.length > 0);
  }
}

function concat(chunks: readonly Buffer[]): Buffer {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Decodes a whole message from memory, handing each part to `sink`; resolves when every part handed over is written. */
export async function decodeMessageBuffer(message: Buffer, sink: PartSink, options: DecodeOptions): Promise<void> {
  await walkBuffer(message, sink, options, '', 0);
}

async function walkBuffer(message: Buffer, sink: PartSink, options: DecodeOptions, prefix: string, depth: number): Promise<void> {
  const { nodes, error } = splitMessage(message, { ...optional('maxHeadSize', options.maxHeaderBytes) });
  const bodyNames = new Set<string>();
  let leaves = 0;
  let rootType: string | undefined;
  for (const [index, { node, body }] of nodes.entries()) {
    if (node.root) rootType = node.multipart ? (node.contentType || 'multipart') : undefined;
    if (node.root && depth === 0) sink.headers(rootHeaders(node));
    if (node.multipart) continue;
    leaves += 1;
    // The part being read when the split stopped is opened, as the streaming walk opened it, and ended unwritten.
    const cut = error !== undefined && index === nodes.length - 1 ? error : undefined;
    await writePart(node, body, sink, options, prefix, depth, bodyNames, cut);
  }
  if (error) throw new UndecodableMessage(`the MIME structure cannot be read: ${error.message}`);
  if (rootType !== undefined && leaves === 0) {
    throw new UndecodableMessage(`a ${rootType} message${prefix ? ` (attached as part ${prefix})` : ''} whose parts cannot be told apart (no usable boundary)`);
  }
}

async function writePart(node: MimeNode, body: readonly Buffer[], sink: PartSink, options: DecodeOptions, prefix: string, depth: number, bodyNames: Set<string>, cut?: Error): Promise<void> {
  const contentType = (node.contentType || 'text/plain').toLowerCase();
  const partPath = nodePartPath(node, prefix);
  const kind = classify(node, contentType);
  if (kind === 'message' && depth < options.maxDepth) {
    if (cut) return;
    await walkBuffer(concat(decodeBody(node, body)), sink, options, partPath, depth + 1);
    return;
  }
  const declared = node.filename ? node.filename.normalize('NFC') : undefined;
  const part: MessagePart = {
    partPath, kind, contentType, depth,
    ...(declared ? { declaredName: declared } : {}),
    fallbackName: fallbackName(kind, contentType, partPath, bodyNames),
  };
  const target = sink.open(part);
  if (!target) return;
  if (cut) {
    // The error is the message's, thrown below: the writable's own copy of it has nobody to hear it.
    target.on('error', () => undefined);
    await new Promise<void>((resolve) => { target.once('close', () => resolve()); target.destroy(cut); });
    return;
  }
  const decoded = decodeBody(node, body);
  const charset = kind === 'body' ? toUtf8(node.charset) : undefined;
  if (charset) await pipeline(Readable.from(decoded, { objectMode: false }), charset, target);
  else await writeAll(target, decoded);
}

/** Writes the chunks and ends the writable, as a pipeline would, without one per part. */
async function writeAll(target: Writable, chunks: readonly Buffer[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    target.once('error', failed);
    target.once('finish', () => {
      target.off('error', failed);
      resolve();
    });
    const writeFrom = (index: number): void => {
      for (let at = index; at < chunks.length; at += 1) {
        if (!target.write(chunks[at]!)) {
          target.once('drain', () => writeFrom(at + 1));
          return;
        }
      }
      target.end();
    };
    writeFrom(0);
  });
}
