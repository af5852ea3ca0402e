// npm run bench:decode [-- count]: the decode alone, in one thread, of a corpus held in
// memory (default 10,000 messages of about 60 KB), by the streaming walk on mailsplit and
// by the in-memory splitter, each part read to the end and hashed (sha256), no file
// written. Three interleaved rounds; prints the CPU seconds and wall time of each, the
// ratio, and checks that both gave the same parts and bytes.
import crypto from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { decodeMessageBuffer } from '../../lib/decode/bufferWalk.js';
import { decodeMessage, type PartSink } from '../../lib/decode/mimeParts.js';
import { corpusMessage } from '../helpers/mailCorpus.js';

const COUNT = Number(process.argv[2] ?? 10_000);
const ROUNDS = 3;
const ATTACHMENT_SCALE = 22_000; // as bench:ingest: messages of about 60 KB

function hashingSink(digests: string[]): PartSink {
  return {
    headers() {},
    open(part) {
      const hash = crypto.createHash('sha256');
      return new Writable({
        write(chunk: Buffer, _encoding, done) { hash.update(chunk); done(); },
        final(done) { digests.push(`${part.partPath} ${part.declaredName ?? part.fallbackName} ${hash.digest('hex')}`); done(); },
      });
    },
  };
}

type Walk = (raw: Buffer, sink: PartSink) => Promise<void>;
const WALKS: ReadonlyArray<readonly [string, Walk]> = [
  ['streaming walk (mailsplit)', (raw, sink) => decodeMessage(Readable.from([raw]), sink, { maxDepth: 3 })],
  ['in-memory splitter', (raw, sink) => decodeMessageBuffer(raw, sink, { maxDepth: 3 })],
];

const corpus = Array.from({ length: COUNT }, (_, index) => corpusMessage(index, 'bench', ATTACHMENT_SCALE).raw);
const bytes = corpus.reduce((sum, raw) => sum + raw.length, 0);
process.stdout.write(`decode of ${COUNT} messages, ${(bytes / 1e6).toFixed(0)} MB in memory, ${ROUNDS} rounds, one thread, Node ${process.version}\n`);

const results = new Map<string, Array<{ cpu: number; wall: number }>>();
const outputs = new Map<string, string[]>();
for (let round = 0; round < ROUNDS; round += 1) {
  for (const [name, walk] of round % 2 === 0 ? WALKS : [...WALKS].reverse()) {
    const digests: string[] = [];
    const sink = hashingSink(digests);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (const raw of corpus) await walk(raw, sink);
    const wall = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpuBefore);
    results.set(name, [...(results.get(name) ?? []), { cpu: (used.user + used.system) / 1e6, wall }]);
    outputs.set(name, digests);
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const [oracle, fast] = WALKS.map(([name]) => name) as [string, string];
for (const [name, runs] of results) {
  process.stdout.write(`${name.padEnd(28)} CPU ${median(runs.map((r) => r.cpu)).toFixed(2)} s (${runs.map((r) => r.cpu.toFixed(2)).join(', ')}), wall ${median(runs.map((r) => r.wall)).toFixed(2)} s, ${outputs.get(name)!.length} parts\n`);
}
const cpu = (name: string) => median(results.get(name)!.map((r) => r.cpu));
process.stdout.write(`in-memory splitter: ${(cpu(oracle) / cpu(fast)).toFixed(1)} times less CPU than the streaming walk\n`);
const same = JSON.stringify(outputs.get(oracle)) === JSON.stringify(outputs.get(fast));
process.stdout.write(same ? 'both gave the same parts and bytes\n' : 'THE WALKS DIFFER\n');
process.exitCode = same ? 0 : 1;
