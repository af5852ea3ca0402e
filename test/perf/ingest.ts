// npm run bench:ingest [-- counts...]: the subscribe against a private Dovecot (IMAPS,
// loopback), with the poll announcing on the local broker, as `sr start` runs them.
//   - for each count (default 1000 and 10000) of corpus messages (about 60 KB, 1.3
//     attachments each): the time from `sr start` to the last file written, beside one plain
//     `UID FETCH 1:* BODY.PEEK[]` of the same folder over one connection before the ingests
//     and one after, in the same run, and the floor: the same files written the
//     subscribe's way with nothing else to do;
//   - the CPU each process used meanwhile, and the CPU of the work no ingest can do
//     without (the raw fetch, decoding and writing the files alone, the poll): on a 2-core
//     machine that sum, halved, is the fastest any ingest could be;
//   - start-up: on a folder with one message, from `sr start` to its file, and the CPU;
//   - single-message latency: on an idle mailbox watched with IDLE, from a message's APPEND
//     to its file in place, for 100 messages one at a time (median, p99, max);
//   - peak RSS of a process decoding and writing a message with a 1 GB attachment.
// Run as root, it then runs again on a journaled ext4 (a 4 GB image it makes and mounts on a
// loop device: this machine's own disk has no journal) and on /dev/shm, each as a child
// with TMPDIR there, and removes the image after.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench } from '../bench/bench.js';
import { makeCertificates } from '../bench/certificates.js';
import { type DovecotInfo, startDovecot, stopDovecot } from '../bench/dovecot.js';
import { imapSession } from '../bench/mailbox.js';
import { chooseSyncMethod, type SyncMethod } from '../../lib/output/durability.js';
import { syncDirectory, StagedFile } from '../../lib/output/stagedFile.js';
import { corpusMessage } from '../helpers/mailCorpus.js';
import { Sandbox } from '../helpers/sandbox.js';
import { decodeToFiles } from './decodeToFiles.js';
import { cpuSince, cpuSnapshot, ownCpu } from './processCpu.js';

const COUNTS = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [1000, 10000];
const ATTACHMENT_SCALE = 22_000; // bytes: corpus messages then average about 60 KB
const USER = { name: 'bench', password: 'bench-secret' };
const LARGE_BYTES = 1024 ** 3;
/** messages sent one at a time for the single-message latency */
const LATENCY_SAMPLES = 100;
/** FILE_SYNC=syncfs measures the other durability method (the subscribe's option fileSync) */
const SYNC = (process.env.FILE_SYNC ?? 'auto') as 'auto' | SyncMethod;

const CORES = os.availableParallelism();
/** The processes whose CPU the bench reports, by their command lines. */
const processGroup = (command: string) => (command.includes('subscribe/bench') ? 'subscribe'
  : command.includes('poll/bench') ? 'poll' : command.includes('dovecot') ? 'Dovecot' : undefined);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-bench-ingest-'));
fs.chmodSync(root, 0o755);

async function fill(dovecot: DovecotInfo, folder: string, count: number): Promise<{ bytes: number; files: number }> {
  const client = await imapSession({ dovecot } as Bench, USER.name);
  await client.mailboxCreate(folder);
  let bytes = 0;
  let files = 0;
  for (let n = 0; n < count; n += 1) {
    const message = corpusMessage(n, folder, ATTACHMENT_SCALE);
    bytes += message.raw.length;
    files += message.files.length;
    await client.append(folder, message.raw);
  }
  await client.logout();
  return { bytes, files };
}

/** One `UID FETCH 1:* BODY.PEEK[]` over one connection, every byte read; its time and the CPU of both ends. */
async function rawFetch(dovecot: DovecotInfo, folder: string): Promise<{ seconds: number; clientCpu: number; serverCpu: number }> {
  const client = await imapSession({ dovecot } as Bench, USER.name);
  const lock = await client.getMailboxLock(folder);
  const before = cpuSnapshot();
  const started = performance.now();
  let bytes = 0;
  const fetched = await ownCpu(async () => {
    for await (const message of client.fetch('1:*', { source: true }, { uid: true })) bytes += message.source?.length ?? 0;
  });
  const seconds = (performance.now() - started) / 1000;
  const serverCpu = cpuSince(before, processGroup).get('Dovecot') ?? 0;
  lock.release();
  await client.logout();
  if (bytes === 0) throw new Error('the raw fetch read nothing');
  return { seconds, clientCpu: fetched.seconds, serverCpu };
}

function countFiles(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir).filter((name) => !name.startsWith('.')).length;
}

/**
 * A sandbox holding the bench's poll of `folder` and its subscribe (each config's own lines
 * after the common ones), not started yet; `files` is the subscribe's directory.
 */
function benchSandbox(dovecot: DovecotInfo, folder: string, pollLines: readonly string[], subscribeLines: readonly string[]): { box: Sandbox; files: string } {
  const box = new Sandbox();
  const files = path.join(box.home, 'files');
  box.writeConfig('credentials.conf', `imaps://${USER.name}:${USER.password}@127.0.0.1:${dovecot.ports.imaps}/\n`);
  const common = [`tlsCa ${dovecot.caCert}`, 'logLevel warning'];
  box.writeConfig('poll/bench.conf', [...common, `pollUrl imaps://${USER.name}@127.0.0.1:${dovecot.ports.imaps}/`, `folder ${folder}`, ...pollLines].join('\n'));
  box.writeConfig('subscribe/bench.conf', [...common, `directory ${files}`, 'mailAction none', `fileSync ${SYNC}`, ...subscribeLines].join('\n'));
  return { box, files };
}

function srStart(box: Sandbox): void {
  const result = box.sr(['start']);
  if (result.code !== 0) throw new Error(`sr start failed: ${result.stderr}`);
}

/**
 * The ingest's time, the sizes of the files it wrote, and the CPU each process used. The
 * clock stops at the newest file's modification time (its bytes are written just before
 * it is linked into place), so looking for the files four times a second, which costs
 * the machine little, does not round the time up.
 */
async function ingest(dovecot: DovecotInfo, folder: string, expectedFiles: number, instances: number): Promise<{ seconds: number; sizes: number[]; cpu: Map<string, number> }> {
  const { box, files } = benchSandbox(dovecot, folder, ['batch 1000', 'sleep 1s'], [`instances ${instances}`, `prefetch ${process.env.BENCH_PREFETCH ?? 50}`]);
  try {
    const before = cpuSnapshot();
    const started = Date.now();
    srStart(box);
    for (;;) {
      const written = countFiles(files);
      if (written >= expectedFiles) break;
      if (Date.now() - started > 30 * 60_000) throw new Error(`only ${written} of ${expectedFiles} files after 30 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const cpu = cpuSince(before, processGroup);
    const stats = fs.readdirSync(files).filter((name) => !name.startsWith('.')).map((name) => fs.statSync(path.join(files, name)));
    const last = Math.max(...stats.map((stat) => stat.mtimeMs));
    return { seconds: (last - started) / 1000, sizes: stats.map((stat) => stat.size), cpu };
  } finally {
    box.cleanup();
  }
}

/**
 * Single-message latency: on an idle mailbox the poll watches with IDLE, one message at a
 * time is appended, and the clock runs from the APPEND's answer to its first file in place
 * (files are linked into place once durable), looked for every 5 ms. Returns the seconds of
 * each, in order.
 */
async function latencies(dovecot: DovecotInfo, samples: number): Promise<number[]> {
  const folder = 'latency';
  const { box, files } = benchSandbox(dovecot, folder, ['idle on', 'sleep 1h'], []);
  const client = await imapSession({ dovecot } as Bench, USER.name);
  try {
    await client.mailboxCreate(folder);
    srStart(box);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // the first pass done, IDLE on
    const seconds: number[] = [];
    // Corpus messages with at least one attachment: one without would write no file to wait for.
    const messages = Array.from({ length: samples * 3 }, (_, n) => corpusMessage(n, folder, ATTACHMENT_SCALE)).filter((m) => m.files.length > 0).slice(0, samples);
    for (const [n, message] of messages.entries()) {
      const before = countFiles(files);
      const started = performance.now();
      await client.append(folder, message.raw);
      while (countFiles(files) <= before) {
        if (performance.now() - started > 60_000) throw new Error(`message ${n}: no file after 60 s`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      seconds.push((performance.now() - started) / 1000);
      await new Promise((resolve) => setTimeout(resolve, 200)); // idle again between messages
    }
    return seconds;
  } finally {
    await client.logout();
    box.cleanup();
  }
}

/**
 * What `sr start` costs before any mail: on a folder holding one message, the time from `sr
 * start` to its file in place, and the CPU of the poll and the subscribe until then (their
 * start: Node, the modules, a decode thread, TLS and login, the first pass).
 */
async function startUp(dovecot: DovecotInfo): Promise<{ seconds: number; cpu: Map<string, number> }> {
  const folder = 'startup';
  const client = await imapSession({ dovecot } as Bench, USER.name);
  await client.mailboxCreate(folder);
  await client.append(folder, corpusMessage(3, folder, ATTACHMENT_SCALE).raw);
  await client.logout();
  const { box, files } = benchSandbox(dovecot, folder, ['sleep 1h'], []);
  try {
    const before = cpuSnapshot();
    const started = performance.now();
    srStart(box);
    while (countFiles(files) === 0) {
      if (performance.now() - started > 60_000) throw new Error('no file 60 s after sr start');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return { seconds: (performance.now() - started) / 1000, cpu: cpuSince(before, processGroup) };
  } finally {
    box.cleanup();
  }
}

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/** `work` for 0 to count - 1, eight at a time, as a subscribe has several messages in hand. */
async function eightAtOnce(count: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let index = next++; index < count; index = next++) await work(index);
  }));
}

/**
 * The floor under the ingest: files of the given sizes written the way the subscribe writes
 * them (StagedFile: temporary name, hashes, made durable in batches as the subscribe's
 * durability method does, link, then the directory made durable, once per message), eight at
 * once, with no mail and no decoding.
 */
async function writeFloor(sizes: readonly number[], filesPerMessage: number): Promise<number> {
  const dir = fs.mkdtempSync(path.join(root, 'floor-'));
  const content = crypto.randomBytes(Math.max(...sizes));
  const { method } = chooseSyncMethod(dir, SYNC);
  const started = performance.now();
  await eightAtOnce(sizes.length, async (n) => {
    const file = StagedFile.create(dir, `f${n}`);
    await file.writeAll(content.subarray(0, sizes[n]));
    await StagedFile.makeDurable([file], method);
    await file.place('floor');
    if (n % filesPerMessage < 1) await syncDirectory(dir, method);
  });
  const seconds = (performance.now() - started) / 1000;
  fs.rmSync(dir, { recursive: true });
  return seconds;
}

/**
 * CPU seconds of decoding the corpus's messages and writing their files the subscribe's way
 * (PartWriter, StagedFile), eight at once in this process, with nothing else to do. The
 * messages are made 500 at a time, outside the measured part.
 */
async function decodeAlone(folder: string, count: number, expectedFiles: number): Promise<number> {
  const out = fs.mkdtempSync(path.join(root, 'decoded-'));
  let seconds = 0;
  for (let first = 0; first < count; first += 500) {
    const raws = Array.from({ length: Math.min(500, count - first) }, (_, index) => corpusMessage(first + index, folder, ATTACHMENT_SCALE).raw);
    seconds += (await ownCpu(() => eightAtOnce(raws.length, async (n) => {
      await decodeToFiles(raws[n]!, out, `m${first + n}`);
    }))).seconds;
  }
  const written = countFiles(out);
  fs.rmSync(out, { recursive: true });
  if (written !== expectedFiles) throw new Error(`decoding alone wrote ${written} files, not ${expectedFiles}`);
  return seconds;
}

/** What creating one file costs on this file system: the floor under writing thousands of them. */
function fileCreateMs(count = 1000): number {
  const dir = fs.mkdtempSync(path.join(root, 'creates-'));
  const started = performance.now();
  for (let n = 0; n < count; n += 1) fs.closeSync(fs.openSync(path.join(dir, `f${n}`), 'wx'));
  const each = (performance.now() - started) / count;
  fs.rmSync(dir, { recursive: true });
  return each;
}

/** A message with one `bytes` attachment, written to a file in pieces. */
function writeLargeMessage(file: string, bytes: number): void {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'From: a@example.org\r\nSubject: large\r\nMessage-ID: <large@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
    + '--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="large.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n');
  const piece = 57 * 1024 * 16; // a multiple of 57 bytes: base64 lines of 76 characters
  for (let written = 0; written < bytes; written += piece) {
    const chunk = crypto.randomBytes(Math.min(piece, bytes - written));
    fs.writeSync(fd, `${chunk.toString('base64').replace(/.{76}/g, '$&\r\n').replace(/\r\n$/, '')}\r\n`);
  }
  fs.writeSync(fd, '--b--\r\n');
  fs.closeSync(fd);
}

function decodePeakRss(): { mib: number; seconds: number } {
  const message = path.join(root, 'large.eml');
  writeLargeMessage(message, LARGE_BYTES);
  const out = path.join(root, 'large-out');
  const child = spawnSync(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), 'decodeFile.js'), message, out], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`decoding the large message failed: ${child.stderr}`);
  const report = JSON.parse(child.stdout) as { maxRssKib: number; seconds: number; bytes: number };
  if (report.bytes !== LARGE_BYTES) throw new Error(`decoded ${report.bytes} bytes, not ${LARGE_BYTES}`);
  fs.rmSync(message);
  fs.rmSync(out, { recursive: true });
  return { mib: report.maxRssKib / 1024, seconds: report.seconds };
}

const dovecot = await startDovecot(path.join(root, 'dovecot'), makeCertificates(root), [USER]);
try {
  process.stdout.write(`bench:ingest on ${os.cpus().length} cores, node ${process.version}, files in ${root} (${process.env.BENCH_PLACE ?? 'the disk of TMPDIR'}); creating an empty file here takes ${fileCreateMs().toFixed(2)} ms; ${chooseSyncMethod(root, SYNC).why}\n`);
  for (const count of COUNTS) {
    const folder = `corpus${count}`;
    const filled = await fill(dovecot, folder, count);
    const fetched = await rawFetch(dovecot, folder);
    const runs: Array<Awaited<ReturnType<typeof ingest>>> = [];
    for (const instances of [1, 2]) runs.push(await ingest(dovecot, folder, filled.files, instances));
    // Fetched again after: the machine's speed drifts (other work on its host), and the
    // multiples are of the mean of the two, the ingests' own yardstick.
    const after = await rawFetch(dovecot, folder);
    const raw = (fetched.seconds + after.seconds) / 2;
    const fetchCpu = (run: typeof fetched) => `CPU: Dovecot ${run.serverCpu.toFixed(2)} s, client ${run.clientCpu.toFixed(2)} s`;
    process.stdout.write(`${count} messages, ${(filled.bytes / count / 1024).toFixed(1)} KiB average, ${filled.files} files: raw UID FETCH 1:* BODY.PEEK[] ${fetched.seconds.toFixed(2)} s before the ingests`
      + ` (${fetchCpu(fetched)}), ${after.seconds.toFixed(2)} s after (${fetchCpu(after)}); the multiples below are of their mean, ${raw.toFixed(2)} s\n`);
    const sizes = runs[0]!.sizes;
    const pollCpu = runs[0]!.cpu.get('poll') ?? 0;
    for (const [index, run] of runs.entries()) {
      const cpu = ['subscribe', 'poll', 'Dovecot'].map((group) => `${group} ${(run.cpu.get(group) ?? 0).toFixed(1)} s`).join(', ');
      process.stdout.write(`  ingest with ${index + 1} instance(s) (poll + subscribe, sr start to last file): ${run.seconds.toFixed(2)} s = ${(run.seconds / raw).toFixed(2)} x the raw fetch, ${(count / run.seconds).toFixed(0)} messages/s;`
        + ` CPU ${cpu} (${CORES} cores x ${run.seconds.toFixed(1)} s = ${(CORES * run.seconds).toFixed(1)} s)\n`);
    }
    const floor = await writeFloor(sizes, filled.files / count);
    process.stdout.write(`  the same ${sizes.length} files written alone as the subscribe writes them (fsync, link, directory fsync), no mail, no decoding: ${floor.toFixed(2)} s = ${(floor / raw).toFixed(2)} x the raw fetch\n`);
    const decoding = await decodeAlone(folder, count, filled.files);
    const least = fetched.serverCpu + fetched.clientCpu + decoding + pollCpu;
    process.stdout.write(`  CPU no ingest can do without: the raw fetch's ${(fetched.serverCpu + fetched.clientCpu).toFixed(1)} s + decoding and writing the files alone ${decoding.toFixed(1)} s`
      + ` + the poll's ${pollCpu.toFixed(1)} s = ${least.toFixed(1)} s; on ${CORES} cores at least ${(least / CORES).toFixed(2)} s = ${(least / CORES / raw).toFixed(2)} x the raw fetch\n`);
  }
  const start = await startUp(dovecot);
  process.stdout.write(`start-up: one message, sr start to its file in place: ${start.seconds.toFixed(2)} s; CPU meanwhile: `
    + `${['subscribe', 'poll'].map((group) => `${group} ${(start.cpu.get(group) ?? 0).toFixed(2)} s`).join(', ')}\n`);
  const latency = await latencies(dovecot, LATENCY_SAMPLES);
  process.stdout.write(`single message on an idle, IDLE-watched mailbox, APPEND to its file in place (${LATENCY_SAMPLES} messages): `
    + `median ${percentile(latency, 0.5).toFixed(3)} s, p99 ${percentile(latency, 0.99).toFixed(3)} s, max ${Math.max(...latency).toFixed(3)} s\n`);
  const large = decodePeakRss();
  process.stdout.write(`1 GiB attachment: decoded and written in ${large.seconds.toFixed(1)} s, peak RSS ${large.mib.toFixed(0)} MiB\n`);
} finally {
  await stopDovecot(dovecot);
  fs.rmSync(root, { recursive: true, force: true });
}

/** The same bench, in a child, with its files on another file system. */
function runOn(place: string, tmpdir: string): void {
  process.stdout.write(`\n--- the same on ${place} (TMPDIR=${tmpdir}) ---\n`);
  spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, TMPDIR: tmpdir, BENCH_PLACE: place } });
}

if (process.getuid?.() === 0 && !process.env.BENCH_PLACE) {
  const image = path.join(os.tmpdir(), `mailpump-bench-jdisk-${process.pid}.img`);
  const mount = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-bench-jdisk-'));
  try {
    spawnSync('truncate', ['-s', '4G', image]);
    const made = spawnSync('mkfs.ext4', ['-q', '-F', image]);
    const mounted = made.status === 0 && spawnSync('mount', ['-o', 'loop', image, mount]).status === 0;
    if (mounted) {
      fs.chmodSync(mount, 0o1777);
      runOn('a journaled ext4 (a loop-mounted image)', mount);
      spawnSync('umount', [mount]);
    } else process.stdout.write('\nno journaled ext4: mkfs.ext4 or mount -o loop failed here\n');
  } finally {
    fs.rmSync(image, { force: true });
    fs.rmSync(mount, { recursive: true, force: true });
  }
  if (fs.existsSync('/dev/shm')) runOn('/dev/shm (memory)', '/dev/shm');
}
