// The in-memory splitter against the streaming walk on mailsplit, its oracle (issue "Ingest
// at the speed of the wire" item 1): over the ordinary corpus, the hostile corpus and
// mutated messages, both must give the same headers, the same parts (paths, kinds, names,
// types, depths), the same bytes in each, and the same refusals.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { decodeMessageBuffer } from '../../lib/decode/bufferWalk.js';
import { decodeMessage, type MessagePart, type PartSink } from '../../lib/decode/mimeParts.js';
import { mutate } from '../fuzz/fuzzing.js';
import { hostileCorpus, prng } from '../helpers/hostileCorpus.js';
import { corpusMessage } from '../helpers/mailCorpus.js';

/** What a decode gave: the headers, each part with the sha256 of its bytes, and how it ended. */
async function record(run: (sink: PartSink) => Promise<void>, openWhich: (part: MessagePart) => boolean = () => true): Promise<string[]> {
  const lines: string[] = [];
  const sink: PartSink = {
    headers(headers) { lines.push(`headers ${JSON.stringify(headers)}`); },
    open(part) {
      if (!openWhich(part)) {
        lines.push(`skipped ${JSON.stringify(part)}`);
        return undefined;
      }
      const hash = crypto.createHash('sha256');
      let size = 0;
      return new Writable({
        write(chunk: Buffer, _encoding, done) { hash.update(chunk); size += chunk.length; done(); },
        final(done) { lines.push(`part ${JSON.stringify(part)} ${size} ${hash.digest('hex')}`); done(); },
      });
    },
  };
  try {
    await run(sink);
    lines.push('ok');
  } catch (error) {
    lines.push(`refused ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
  }
  return lines;
}

const options = { maxDepth: 3 };
const both = async (raw: Buffer, openWhich?: (part: MessagePart) => boolean) => ({
  streaming: await record((sink) => decodeMessage(Readable.from([raw]), sink, options), openWhich),
  inMemory: await record((sink) => decodeMessageBuffer(raw, sink, options), openWhich),
});

async function assertSame(name: string, raw: Buffer, openWhich?: (part: MessagePart) => boolean): Promise<void> {
  const { streaming, inMemory } = await both(raw, openWhich);
  assert.deepEqual(inMemory, streaming, `${name}: the in-memory splitter differs from the streaming walk`);
}

describe('the in-memory MIME splitter, against the streaming walk on mailsplit', () => {
  it('gives the same parts and bytes for the ordinary corpus (every kind of message, 700 messages)', async () => {
    for (let index = 0; index < 700; index += 1) await assertSame(`corpus ${index}`, corpusMessage(index, 'split', 500 + (index % 13) * 97).raw);
  });

  it('gives the same parts, bytes and refusals for the hostile corpus (43 classes, 3 variants each)', async () => {
    for (const message of hostileCorpus(11, 3, 1)) await assertSame(`hostile ${message.cls}`, message.raw);
  });

  it('gives the same for messages with line ends LF only, lone CR, no final line end, and a sink that leaves parts out', async () => {
    const random = prng(5);
    for (let index = 0; index < 70; index += 1) {
      const raw = corpusMessage(index, 'ends', 400).raw;
      const lf = Buffer.from(raw.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
      const cut = raw.subarray(0, raw.length - 2 - Math.floor(random() * 40));
      const crs = Buffer.from(raw.toString('latin1').replace(/\r\n--/g, '\r\n\r--'), 'latin1');
      for (const [name, variant] of [['LF', lf], ['cut', cut], ['CR', crs]] as const) await assertSame(`${name} ${index}`, variant);
      await assertSame(`skip ${index}`, raw, (part) => part.kind !== 'inline');
    }
  });

  it('gives the same for 3,000 mutated messages (the fuzz seeds)', { timeout: 300_000 }, async () => {
    const random = prng(77);
    const seeds = [
      ...Array.from({ length: 14 }, (_, index) => corpusMessage(index, 'mut', 600).raw),
      ...hostileCorpus(3, 1, 0).filter((message) => message.raw.length < 200_000).map((message) => message.raw),
    ];
    for (let run = 0; run < 3000; run += 1) await assertSame(`mutation ${run}`, mutate(random, seeds[Math.floor(random() * seeds.length)]!));
  });
});
