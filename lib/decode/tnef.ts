// winmail.dat (TNEF, [MS-OXTNEF]) unpacked as it streams: Outlook wraps attachments in one
// application/ms-tnef part, and users want the files inside. The stream is a signature,
// then attributes (level, id, length, data, checksum); an attachment starts with
// attAttachRendData, its bytes come in attAttachData, its 8.3 name in attAttachTitle and
// its real name in the MAPI properties of attAttachment, after the bytes. So the bytes are
// written as they come, and the names handed over once known. Memory holds one attribute
// header and, at most, a capped MAPI property block; never an attachment.
//
// node-tnef, the JavaScript library there is, was measured unfit: it copies the whole file
// into an array of numbers, logs to stdout through bunyan, ignores long file names, and
// crashes on a sample file (docs/decisions.md).
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

export interface TnefNames {
  /** attAttachTitle: often an 8.3 name (`ZAPPA_~2.JPG`) */
  readonly shortName?: string;
  /** PR_ATTACH_LONG_FILENAME from the attachment's MAPI properties */
  readonly longName?: string;
}

export interface TnefSink {
  /** Attachment `index` (1, 2...) has bytes: where they go. */
  open(index: number): Writable;
  /** Its names, known once its attributes are read (after its bytes). */
  named(index: number, names: TnefNames): void;
}

export class TnefError extends Error {}

const SIGNATURE = 0x223e9f78;
const ATT_ATTACH_REND_DATA = 0x00069002;
const ATT_ATTACH_DATA = 0x0006800f;
const ATT_ATTACH_TITLE = 0x00018010;
const ATT_ATTACHMENT = 0x00069005;
/** MAPI property blocks larger than this are not read for names (they carry no file name then). */
const MAX_PROPERTY_BLOCK = 1024 * 1024;
/** More attachments than any Outlook mail has: past this the winmail.dat is kept whole (each costs a file). */
export const MAX_TNEF_ATTACHMENTS = 1000;
const HEADER_BYTES = 9;

interface Attachment {
  readonly index: number;
  names: TnefNames;
  sink?: Writable;
}

/** A writable for the bytes of a winmail.dat; its end waits for every attachment to be written. */
export function tnefReader(target: TnefSink): Writable {
  let buffered = Buffer.alloc(0);
  let state: 'signature' | 'header' | 'data' | 'checksum' = 'signature';
  let attribute = { id: 0, remaining: 0 };
  let collected: Buffer[] | undefined;
  let current: Attachment | undefined;
  let count = 0;
  const writes: Array<Promise<void>> = [];

  const closeAttachment = () => {
    if (!current) return;
    target.named(current.index, current.names);
    if (current.sink) {
      current.sink.end();
      writes.push(finished(current.sink));
    }
    current = undefined;
  };

  const endAttribute = () => {
    if (collected) {
      const data = Buffer.concat(collected);
      collected = undefined;
      if (current && attribute.id === ATT_ATTACH_TITLE) current.names = { ...current.names, shortName: cString(data, 'latin1') };
      if (current && attribute.id === ATT_ATTACHMENT) {
        const longName = longFileName(data);
        if (longName) current.names = { ...current.names, longName };
      }
    }
  };

  const startAttribute = (header: Buffer) => {
    attribute = { id: header.readUInt32LE(1), remaining: header.readUInt32LE(5) };
    if (attribute.id === ATT_ATTACH_REND_DATA) {
      closeAttachment();
      count += 1;
      if (count > MAX_TNEF_ATTACHMENTS) throw new TnefError(`more than ${MAX_TNEF_ATTACHMENTS} attachments in one winmail.dat`);
      current = { index: count, names: {} };
    }
    if (attribute.id === ATT_ATTACH_DATA && current && !current.sink) current.sink = target.open(current.index);
    const wanted = attribute.id === ATT_ATTACH_TITLE || attribute.id === ATT_ATTACHMENT;
    collected = wanted && attribute.remaining <= MAX_PROPERTY_BLOCK ? [] : undefined;
  };

  /** Takes what the current state needs from `chunk`; returns the rest. */
  const step = async (chunk: Buffer): Promise<Buffer> => {
    if (state === 'data') {
      const piece = chunk.subarray(0, attribute.remaining);
      attribute.remaining -= piece.length;
      if (attribute.id === ATT_ATTACH_DATA && current?.sink) {
        if (!current.sink.write(piece)) await new Promise((resolve) => current!.sink!.once('drain', resolve));
      } else {
        collected?.push(piece);
      }
      if (attribute.remaining === 0) {
        endAttribute();
        state = 'checksum';
      }
      return chunk.subarray(piece.length);
    }
    const need = state === 'signature' ? 6 : state === 'header' ? HEADER_BYTES : 2;
    // Only a header split across chunks is copied: copying the chunk's rest for every
    // attribute would be quadratic in a file of many small attributes.
    const source = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk.subarray(0, need - buffered.length)]);
    const taken = buffered.length === 0 ? need : need - buffered.length;
    if (source.length < need) {
      buffered = Buffer.from(source);
      return Buffer.alloc(0);
    }
    const head = source.subarray(0, need);
    const rest = chunk.subarray(taken);
    buffered = Buffer.alloc(0);
    if (state === 'signature') {
      if (head.readUInt32LE(0) !== SIGNATURE) throw new TnefError('not a TNEF stream (no TNEF signature)');
      state = 'header';
    } else if (state === 'header') {
      startAttribute(head);
      state = attribute.remaining > 0 ? 'data' : 'checksum';
      if (state === 'checksum') endAttribute();
    } else {
      state = 'header';
    }
    return rest;
  };

  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      void (async () => {
        let rest = chunk;
        while (rest.length > 0) rest = await step(rest);
      })().then(() => done(), done);
    },
    final(done) {
      if (state !== 'header' || buffered.length > 0) {
        done(new TnefError('the TNEF stream ends in the middle of an attribute'));
        return;
      }
      closeAttachment();
      Promise.all(writes).then(() => done(), done);
    },
    destroy(error, done) {
      current?.sink?.destroy();
      done(error);
    },
  });
}

/** A NUL-terminated string. */
function cString(data: Buffer, encoding: BufferEncoding): string | undefined {
  const end = data.indexOf(0);
  const text = data.subarray(0, end >= 0 ? end : data.length).toString(encoding).trim();
  return text || undefined;
}

const PR_ATTACH_LONG_FILENAME = 0x3707;
const PT_STRING8 = 0x001e;
const PT_UNICODE = 0x001f;
const MV_FLAG = 0x1000;
/** Sizes of fixed-size MAPI property types, as written in TNEF (padded to 4). */
const FIXED_SIZES: Readonly<Record<number, number>> = {
  0x0002: 4, 0x0003: 4, 0x0004: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8, 0x000a: 4, 0x000b: 4, 0x0014: 8, 0x0040: 8, 0x0048: 16,
};
const VARIABLE_TYPES = new Set([PT_STRING8, PT_UNICODE, 0x0102, 0x000d]);

const pad4 = (length: number) => (length + 3) & ~3;

/** PR_ATTACH_LONG_FILENAME from an attAttachment MAPI property block, if there. */
function longFileName(block: Buffer): string | undefined {
  try {
    let at = 0;
    const u16 = () => { const value = block.readUInt16LE(at); at += 2; return value; };
    const u32 = () => { const value = block.readUInt32LE(at); at += 4; return value; };
    // Counts come from the file: one claiming 2^32 values in a 100-byte block must cost
    // nothing. Each value takes at least 4 bytes, so a count beyond what is left is a lie.
    const plausible = (claimed: number) => claimed <= (block.length - at) / 4;
    const count = u32();
    if (!plausible(count)) return undefined;
    for (let n = 0; n < count; n += 1) {
      const type = u16();
      const id = u16();
      if (id >= 0x8000) {
        at += 16; // the named property's GUID
        const kind = u32();
        if (kind === 0) at += 4;
        else at += pad4(u32());
      }
      const base = type & ~MV_FLAG;
      const values = type & MV_FLAG || VARIABLE_TYPES.has(base) ? u32() : 1;
      if (!plausible(values)) return undefined;
      for (let v = 0; v < values; v += 1) {
        if (at > block.length) return undefined;
        if (VARIABLE_TYPES.has(base)) {
          const length = u32();
          if (id === PR_ATTACH_LONG_FILENAME && (base === PT_STRING8 || base === PT_UNICODE)) {
            return cString(block.subarray(at, at + length), base === PT_UNICODE ? 'utf16le' : 'latin1');
          }
          at += pad4(length);
        } else {
          const size = FIXED_SIZES[base];
          if (size === undefined) return undefined; // a type we cannot step over: stop looking
          at += size;
        }
      }
    }
  } catch {
    // a truncated block: no long name
  }
  return undefined;
}
