// npm run bench:pes: the memory a subscribe takes to decode a 150 MiB PES with embedded
// documents (the Adullact issue's bound), beside the memory it takes only to hold that PES
// once, measured in the same run. Each is a process of its own, so its peak RSS is its
// own: the subscribe's decoding of a watched directory's item (depotParts, PartWriter,
// pes.ts streaming the PJs to their files), and a process that reads the file whole and
// makes it text, as any in-memory parser must before it starts.
// Usage: node dist/test/perf/pes.js [MiB of PJs, default 148]
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { SubscribeState } from '../../lib/state/subscribeState.js';
import { decodeDepotItem } from '../helpers/depotItem.js';

const PJS = 4;
const PES_NAME = 'PES_BENCH.xml';
/** The old-space cap of the second decoding: far below the PES and any of its PJs. */
const HEAP_CAP_MIB = 48;

/** Writes the PES to `file` a PJ at a time (the bench holds one PJ, never the PES); returns the PJs' sha256. */
function writePes(file: string, totalMiB: number): string[] {
  const out = fs.openSync(file, 'w');
  const put = (text: string) => fs.writeSync(out, Buffer.from(text, 'latin1'));
  put('<?xml version="1.0" encoding="ISO-8859-1"?>\n<n:PES_Aller xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller">\n'
    + '<Enveloppe><Parametres><TypFic V="PESALR2"/><NomFic V="PES_BENCH"/></Parametres></Enveloppe><EnTetePES><IdColl V="00000000000000"/></EnTetePES>\n<PES_PJ>\n');
  const hashes: string[] = [];
  // base64 makes 4 of 3, and random bytes do not compress: each PJ's share of the file, as raw bytes.
  const pjBytes = Math.floor(((totalMiB * 1024 * 1024) / PJS) * 0.74);
  for (let index = 0; index < PJS; index += 1) {
    const pj = crypto.randomBytes(pjBytes);
    hashes.push(crypto.createHash('sha256').update(pj).digest('hex'));
    put('<PJ><Contenu><Fichier MIMEType="application/pdf">');
    put(zlib.gzipSync(pj, { level: 1 }).toString('base64').replace(/.{76}/g, '$&\n'));
    put(`</Fichier></Contenu><IdUnique V="PJ${index}"/><NomPJ V="piece-${index}.pdf"/></PJ>\n`);
  }
  put('</PES_PJ>\n</n:PES_Aller>\n');
  fs.closeSync(out);
  return hashes;
}

/** In a child: decode the directory's PES as a subscribe does; prints peak RSS, time and the files. */
async function decodeAsSubscribe(root: string, out: string): Promise<void> {
  const state = SubscribeState.open(path.join(out, 'subscribe.sqlite'));
  const started = Date.now();
  const result = await decodeDepotItem(root, PES_NAME, path.join(out, 'files'), state, ['helios']);
  state.close();
  process.stdout.write(`${JSON.stringify({ ms: Date.now() - started, maxRssKiB: process.resourceUsage().maxRSS, files: result.written.map(({ file }) => ({ path: file.path, sha256: file.sha256 })), setAside: result.setAside })}\n`);
}

/** In a child: only hold the PES, as bytes and as text. */
function holdWhole(file: string): void {
  const started = Date.now();
  const bytes = fs.readFileSync(file);
  const text = bytes.toString('latin1');
  process.stdout.write(`${JSON.stringify({ ms: Date.now() - started, maxRssKiB: process.resourceUsage().maxRSS, length: text.length })}\n`);
}

function child(nodeArgs: readonly string[], mode: string, ...args: string[]): { ms: number; maxRssKiB: number; files?: Array<{ path: string; sha256: string }>; setAside?: unknown[] } {
  const run = spawnSync(process.execPath, [...nodeArgs, fileURLToPath(import.meta.url), mode, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`${mode}: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!);
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'subscribe') return decodeAsSubscribe(args[0]!, args[1]!);
  if (mode === 'hold') return holdWhole(args[0]!);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-bench-pes-'));
  try {
    const root = path.join(scratch, 'depot');
    fs.mkdirSync(root);
    const file = path.join(root, PES_NAME);
    const hashes = writePes(file, Number(mode ?? 148));
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(file, old, old);
    const size = fs.statSync(file).size;
    const held = child([], 'hold', file);
    const decoded = child([], 'subscribe', root, scratch);
    // V8 collects lazily: peak RSS follows the garbage it lets pile up. The same decoding with
    // its heap capped shows what it holds; it would fail were it to hold the PES or a PJ.
    fs.rmSync(path.join(scratch, 'files'), { recursive: true, force: true });
    fs.rmSync(path.join(scratch, 'subscribe.sqlite'), { force: true });
    const capped = child([`--max-old-space-size=${HEAP_CAP_MIB}`], 'subscribe', root, scratch);
    const pjs = (decoded.files ?? []).filter((written) => /piece-\d\.pdf$/.test(written.path));
    const exact = pjs.length === PJS && pjs.every((written, index) => written.sha256 === hashes[index]);
    const mib = (kib: number) => (kib / 1024).toFixed(0);
    process.stdout.write(`PES of ${(size / 1048576).toFixed(1)} MiB holding ${PJS} PJs of ${(fs.statSync(pjs[0]?.path ?? file).size / 1048576).toFixed(1)} MiB each\n`);
    process.stdout.write(`  holding the PES once, as bytes and text (reference): peak RSS ${mib(held.maxRssKiB)} MiB, ${held.ms} ms\n`);
    process.stdout.write(`  decoded as a subscribe does (PJs streamed to files):  peak RSS ${mib(decoded.maxRssKiB)} MiB, ${decoded.ms} ms; ${pjs.length} PJs written, ${exact ? 'byte-exact' : 'NOT byte-exact'}${decoded.setAside?.length ? `; set aside: ${JSON.stringify(decoded.setAside)}` : ''}\n`);
    const cappedExact = (capped.files ?? []).filter((written) => /piece-\d\.pdf$/.test(written.path)).every((written, index) => written.sha256 === hashes[index]);
    process.stdout.write(`  the same with the heap capped at ${HEAP_CAP_MIB} MiB:               peak RSS ${mib(capped.maxRssKiB)} MiB, ${capped.ms} ms; ${cappedExact ? 'byte-exact' : 'NOT byte-exact'}\n`);
    if (!exact || !cappedExact) process.exitCode = 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
