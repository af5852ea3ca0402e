// Fuzzing the two readers that take bytes from strangers: the MIME walk and the TNEF
// reader. Real messages (the test corpus, the hostile corpus, the TNEF samples) are mutated
// by a seeded generator: bytes flipped, ranges cut, doubled or swapped, boundary and
// header lines planted, the end cut off. Every input must end in one of the readers' own
// refusals (UndecodableMessage, TnefError) or in a decoding, never in another exception,
// and within its time budget. test/unit/fuzz.test.ts runs a bounded count in the suite;
// `npm run fuzz` runs as many as asked.
import { PassThrough, Readable, Writable } from 'node:stream';
import { decodeMessage, UndecodableMessage } from '../../lib/decode/mimeParts.js';
import { TnefError, tnefReader } from '../../lib/decode/tnef.js';
import { hostileCorpus, prng } from '../helpers/hostileCorpus.js';
import { corpusMessage } from '../helpers/mailCorpus.js';
import { tnefFixture } from '../helpers/tnefFixtures.js';

/** The most a mutation may grow an input: the fuzz stays in memory bounds. */
const MAX_GROWTH = 256 * 1024;
const PLANTS = ['\r\n--', '\r\n--b\r\n', '\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n', '\r\nContent-Type: message/rfc822\r\n\r\n', '\r\n\r\n', '=?UTF-8?B?', '\u0000', '\r\n ', '; filename*0*=', '=\r\n'];

export function mutate(random: () => number, input: Buffer): Buffer {
  let data = input;
  const at = () => Math.floor(random() * (data.length + 1));
  for (let steps = 1 + Math.floor(random() * 4); steps > 0; steps -= 1) {
    switch (Math.floor(random() * 7)) {
      case 0: { // flip bytes
        data = Buffer.from(data);
        for (let n = 0; n < 1 + random() * 16 && data.length > 0; n += 1) data[Math.floor(random() * data.length)] = Math.floor(random() * 256);
        break;
      }
      case 1: { // cut a range
        const start = at();
        data = Buffer.concat([data.subarray(0, start), data.subarray(Math.min(data.length, start + Math.floor(random() * 4096)))]);
        break;
      }
      case 2: { // double a range, many times
        const start = at();
        const piece = data.subarray(start, start + 1 + Math.floor(random() * 512));
        const times = Math.min(Math.floor(MAX_GROWTH / Math.max(1, piece.length)), 1 + Math.floor(random() * 200));
        data = Buffer.concat([data.subarray(0, start), ...Array.from({ length: times }, () => piece), data.subarray(start)]);
        break;
      }
      case 3: { // plant a line that means something
        const start = at();
        data = Buffer.concat([data.subarray(0, start), Buffer.from(PLANTS[Math.floor(random() * PLANTS.length)]!, 'latin1'), data.subarray(start)]);
        break;
      }
      case 4: data = data.subarray(0, at()); break; // the end cut off
      case 5: { // swap two ranges
        const a = at();
        const b = at();
        const [first, second] = a < b ? [a, b] : [b, a];
        data = Buffer.concat([data.subarray(second), data.subarray(first, second), data.subarray(0, first)]);
        break;
      }
      default: { // line endings changed
        data = Buffer.from(data.toString('latin1').replace(random() < 0.5 ? /\r\n/g : /\n/g, random() < 0.5 ? '\n' : '\r\r\n'), 'latin1');
      }
    }
  }
  return data;
}

/** A sink that takes every part and reads it to the end, as a writer would. */
const drainingSink = {
  headers(): void {},
  open(): Writable {
    return new Writable({ write(_chunk, _encoding, done) { done(); } });
  },
};

export interface FuzzReport {
  readonly runs: number;
  readonly refused: number;
  readonly slowestMs: number;
}

/** Fails (throws) on the first input that escapes with another error or takes longer than `budgetMs`. */
async function fuzz(seeds: readonly Buffer[], count: number, seed: number, budgetMs: number, run: (input: Buffer) => Promise<void>, isRefusal: (error: unknown) => boolean): Promise<FuzzReport> {
  const random = prng(seed);
  let refused = 0;
  let slowestMs = 0;
  for (let n = 0; n < count; n += 1) {
    const input = mutate(random, seeds[Math.floor(random() * seeds.length)]!);
    const started = performance.now();
    try {
      await run(input);
    } catch (error) {
      if (!isRefusal(error)) throw new Error(`fuzz input ${n} (seed ${seed}) escaped with ${(error as Error)?.stack ?? String(error)}`);
      refused += 1;
    }
    const took = performance.now() - started;
    slowestMs = Math.max(slowestMs, took);
    if (took > budgetMs) throw new Error(`fuzz input ${n} (seed ${seed}) took ${Math.round(took)} ms, over its ${budgetMs} ms budget`);
  }
  return { runs: count, refused, slowestMs: Math.round(slowestMs) };
}

export function fuzzMime(count: number, seed: number, budgetMs: number): Promise<FuzzReport> {
  const seeds = [
    ...Array.from({ length: 7 }, (_, index) => corpusMessage(index, 'fuzz', 800).raw),
    ...hostileCorpus(seed, 1, 0).filter((message) => message.raw.length < 200_000).map((message) => message.raw),
  ];
  return fuzz(seeds, count, seed, budgetMs, (input) => decodeMessage(Readable.from([input]), drainingSink, { maxDepth: 3 }), (error) => error instanceof UndecodableMessage);
}

export function fuzzTnef(count: number, seed: number, budgetMs: number): Promise<FuzzReport> {
  const seeds = [tnefFixture('attachments.dat'), tnefFixture('panic.dat')];
  return fuzz(seeds, count, seed, budgetMs, async (input) => {
    const reader = tnefReader({
      open: () => new PassThrough().resume(),
      named: () => undefined,
    });
    await new Promise<void>((resolve, reject) => {
      reader.on('error', reject);
      reader.on('finish', resolve);
      // Chunks cut anywhere: attribute headers split across writes.
      for (let at = 0; at < input.length; at += 997) reader.write(input.subarray(at, at + 997));
      reader.end();
    });
  }, (error) => error instanceof TnefError);
}
