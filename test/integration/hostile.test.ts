// `npm run test:hostile` (and part of `npm test`): a generated corpus of hostile mail
// (test/helpers/hostileCorpus.ts: 40-odd classes of names, structures, encodings, sizes,
// winmail.dat and headers), followed by ordinary mail, run end to end through `sr start` on
// Dovecot: the IMAP poll with attachments only, then the POP3 poll with bodies, sidecars
// and raw backups. What must hold: no instance crashes or hangs; every ordinary message
// after the hostile ones is ingested, byte-exact; every hostile one is decoded (and then
// its payloads are among the files) or quarantined with its reason and its raw copy, as its
// class says; nothing is written outside `directory`; no name there is unsafe or takes one
// of mailpump's own; no staging file is left; nothing is tidied without its content.
// The run prints the counts, the peak RSS of each instance and the slowest message.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { STAGING_FOLDER } from '../../lib/output/stagedFile.js';
import { type Bench, getBench } from '../bench/bench.js';
import { appendMessages, emptyFolder, listMessages, plainMessage, popUidls } from '../bench/mailbox.js';
import { hostileCorpus, type HostileMessage, REGEX_BOMB_RULE, regexBomb } from '../helpers/hostileCorpus.js';
import { corpusMessage, type CorpusMessage } from '../helpers/mailCorpus.js';
import { sha256, walk } from '../helpers/files.js';
import { Sandbox } from '../helpers/sandbox.js';

const SEED = Number(process.env.HOSTILE_SEED ?? 20261201);
const PER_CLASS = Number(process.env.HOSTILE_PER_CLASS ?? 8);
const ORDINARY = 42;

let bench: Bench;
let box: Sandbox;

before(async () => { bench = await getBench(); });
beforeEach(() => {
  box = new Sandbox();
  box.writeConfig('credentials.conf', [
    `imaps://hostile:hostile-secret@127.0.0.1:${bench.dovecot.ports.imaps}/`,
    `pops://hostile:hostile-secret@127.0.0.1:${bench.dovecot.ports.pop3s}/`,
  ].join('\n'));
});
afterEach(() => box.cleanup());



async function eventually(check: () => Promise<boolean> | boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function logOf(component: string, name: string): string {
  const dir = path.join(box.cacheDir, 'log');
  return walk(dir).filter((file) => new RegExp(`^${component}_${name}_\\d+\\.log$`).test(file)).map((file) => fs.readFileSync(path.join(dir, file), 'utf8')).join('');
}

/** What the subscribe's log says became of each message, by its UID or UIDL. */
function outcomes(log: string, key: 'UID' | 'UIDL'): { results: Map<string, 'decoded' | 'quarantined'>; slowestMs: number } {
  const results = new Map<string, 'decoded' | 'quarantined'>();
  let slowestMs = 0;
  for (const line of log.split('\n')) {
    const at = new RegExp(` ${key} (\\S+?):? `).exec(line);
    if (!at) continue;
    const done = /(files written|nothing written)[^\n]* in (\d+) ms$/.exec(line);
    if (done) {
      results.set(at[1]!, 'decoded');
      slowestMs = Math.max(slowestMs, Number(done[2]));
    } else if (/; quarantined after/.test(line)) {
      results.set(at[1]!, 'quarantined');
    }
  }
  return { results, slowestMs };
}

/** Peak resident memory (VmHWM) of every running instance of a config, in MB. */
function peakRss(component: string, name: string): number {
  const dir = path.join(box.cacheDir, component, name);
  const pids = fs.readdirSync(dir).filter((file) => file.endsWith('.pid')).map((file) => Number(fs.readFileSync(path.join(dir, file), 'utf8')));
  return Math.max(...pids.map((pid) => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024));
}

function instancePids(): string {
  return walk(box.cacheDir).filter((file) => file.endsWith('.pid')).sort().map((file) => fs.readFileSync(path.join(box.cacheDir, file), 'utf8').trim()).join(',');
}

interface RunCheck {
  readonly hostile: readonly HostileMessage[];
  readonly ordinary: readonly CorpusMessage[];
  /** the UID or UIDL of each message, hostile then ordinary, in the order appended */
  readonly keys: readonly string[];
  readonly results: Map<string, 'decoded' | 'quarantined'>;
  readonly directory: string;
  readonly quarantine: string;
}

const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)\s*(\..*)?$/iu;

/** The assertions every run makes; returns the counts for the report. */
function checkRun(run: RunCheck): Record<string, number> {
  const written = walk(run.directory).filter((file) => !file.split(path.sep).includes(STAGING_FOLDER));
  const staging = walk(run.directory).filter((file) => file.split(path.sep).includes(STAGING_FOLDER));
  assert.deepEqual(staging, [], 'no staging file left in the output directory');
  const hashes = new Set(written.map((file) => sha256(fs.readFileSync(path.join(run.directory, file)))));

  for (const file of written) {
    const name = path.basename(file);
    assert.ok(Buffer.byteLength(name) <= 255, `${file}: name over 255 bytes`);
    assert.doesNotMatch(name, /[\p{Cc}\p{Cf}\u2028\u2029<>:"|?*\\]/u, `${file}: unsafe character in the name`);
    assert.doesNotMatch(name, RESERVED, `${file}: a Windows device name`);
    assert.doesNotMatch(name, /[. ]$/, `${file}: ends in a dot or space`);
    if (name.startsWith('.')) {
      // mailpump's own: a sidecar of a file beside it, or a raw backup
      const sidecarOf = /^\.(.*)\.json$/.exec(name)?.[1];
      if (sidecarOf !== undefined && fs.existsSync(path.join(run.directory, path.dirname(file), sidecarOf))) {
        const sidecar = JSON.parse(fs.readFileSync(path.join(run.directory, file), 'utf8')) as { sha256: string };
        assert.equal(sidecar.sha256, sha256(fs.readFileSync(path.join(run.directory, path.dirname(file), sidecarOf))), `${file} is the sidecar of ${sidecarOf}`);
      } else {
        assert.match(name, /^\.[^/]+\.eml$/, `${file}: a dot name that is neither a sidecar nor a raw backup`);
      }
    }
  }

  const counts: Record<string, number> = { decoded: 0, quarantined: 0 };
  const everyone = [...run.hostile.map((message) => ({ ...message, files: [] as CorpusMessage['files'] })),
    ...run.ordinary.map((message) => ({ cls: 'ordinary', raw: message.raw, outcome: 'decoded' as const, payloads: [], files: message.files }))];
  everyone.forEach((message, index) => {
    const key = run.keys[index]!;
    const result = run.results.get(key);
    assert.ok(result, `${message.cls} (${key}): neither decoded nor quarantined`);
    counts[result] = (counts[result] ?? 0) + 1;
    if (message.outcome !== 'either') assert.equal(result, message.outcome, `${message.cls} (${key})`);
    if (result === 'decoded') {
      for (const payload of [...message.payloads, ...message.files.map((file) => file.sha256)]) {
        assert.ok(hashes.has(payload), `${message.cls} (${key}): decoded and tidied, but a payload of it is in no file`);
      }
    } else {
      const kept = walk(run.quarantine).filter((file) => file.includes(` ${key}.`) || file.includes(` ${key}~`));
      assert.ok(kept.some((file) => file.endsWith('.reason.txt')), `${message.cls} (${key}): quarantined without a reason file`);
      assert.ok(kept.some((file) => file.endsWith('.eml') && fs.readFileSync(path.join(run.quarantine, file)).equals(message.raw)), `${message.cls} (${key}): its raw copy in quarantine is not the message`);
    }
  });
  return counts;
}

/** Every file the sandbox holds is in its config, its cache (state, logs, quarantine) or the output directory. */
function assertNothingOutside(directory: string): void {
  const strays = walk(box.home).map((file) => path.join(box.home, file))
    .filter((file) => ![directory, box.configDir, box.cacheDir].some((root) => file.startsWith(`${root}${path.sep}`)));
  assert.deepEqual(strays, [], 'nothing written outside directory');
}

function startAll(): string {
  const started = box.sr(['start']);
  assert.equal(started.code, 0, started.stderr);
  return instancePids();
}

function assertStillRunning(pidsAtStart: string): void {
  const status = box.sr(['status']);
  assert.equal(status.code, 0, `sr status: ${status.stdout}${status.stderr}`);
  assert.doesNotMatch(status.stdout, /crashed|hung/);
  assert.equal(instancePids(), pidsAtStart, 'no instance died and was replaced');
}

const common = () => [`tlsCa ${bench.dovecot.caCert}`, 'metrics_writeInterval 1s'];
const subscribeLines = (name: string, directory: string) => [
  'callback download.mail_ingest', ...common(), `exchange xs_${name}`, `directory ${directory}`, 'attempts 2', 'decodeBudget 5s', 'prefetch 50', 'logEvents +nodupe', REGEX_BOMB_RULE,
];

describe('hostile mail, end to end through sr start', () => {
  it('the IMAP poll and a subscribe writing attachments: every message decoded or quarantined, the ordinary ones after them all ingested', async () => {
    const folder = `hostile-${Date.now().toString(36)}`;
    const hostile = hostileCorpus(SEED, PER_CLASS, 3);
    const ordinary = Array.from({ length: ORDINARY }, (_, index) => corpusMessage(index, folder));
    const keys = (await appendMessages(bench, 'hostile', folder, [...hostile, ...ordinary].map((message) => message.raw))).map(String);
    const directory = path.join(box.home, 'files');
    const quarantine = path.join(box.cacheDir, 'quarantine-imap');
    box.writeConfig('poll/imap.conf', ['callback poll.mail', ...common(), 'post_exchange xs_imap', 'sleep 1s', 'batch 500', `pollUrl imaps://hostile@127.0.0.1:${bench.dovecot.ports.imaps}/`, `folder ${folder}`].join('\n'));
    box.writeConfig('subscribe/imap.conf', [...subscribeLines('imap', directory), `mailAction move ${folder}-done`, `quarantineFolder ${folder}-quarantine`, `quarantineDirectory ${quarantine}`].join('\n'));
    const pids = startAll();
    await eventually(async () => (await listMessages(bench, 'hostile', folder)).length === 0, 6 * 60_000, () => `${folder} emptied; errors: ${logOf('subscribe', 'imap').split('\n').filter((l) => l.includes('[ERROR]')).slice(-5).join('\n')}`);
    assertStillRunning(pids);
    const { results, slowestMs } = outcomes(logOf('subscribe', 'imap'), 'UID');
    const counts = checkRun({ hostile, ordinary, keys, results, directory, quarantine });
    const done = (await listMessages(bench, 'hostile', `${folder}-done`)).length;
    const quarantined = (await listMessages(bench, 'hostile', `${folder}-quarantine`)).length;
    assert.equal(done, counts.decoded, 'every decoded mail moved, once');
    assert.equal(quarantined, counts.quarantined, 'every quarantined mail in the quarantine folder, once');
    assert.doesNotMatch(logOf('poll', 'imap'), /\[ERROR\]/, 'the poll never failed a pass');
    assertNothingOutside(directory);
    process.stdout.write(`hostile IMAP run: ${hostile.length} hostile (${new Set(hostile.map((m) => m.cls)).size} classes) + ${ordinary.length} ordinary; `
      + `${counts.decoded} decoded, ${counts.quarantined} quarantined; peak RSS subscribe ${peakRss('subscribe', 'imap').toFixed(0)} MB, poll ${peakRss('poll', 'imap').toFixed(0)} MB; slowest message ${slowestMs} ms\n`);
  });

  it('the POP3 poll and a subscribe writing bodies, sidecars and raw backups: the same, the quarantined left on the server', async () => {
    await emptyFolder(bench, 'hostile', 'INBOX');
    const hostile = hostileCorpus(SEED + 1, PER_CLASS, 3);
    const ordinary = Array.from({ length: ORDINARY }, (_, index) => corpusMessage(index, 'pop'));
    await appendMessages(bench, 'hostile', 'INBOX', [...hostile, ...ordinary].map((message) => message.raw));
    const keys = await popUidls(bench, 'hostile');
    assert.equal(keys.length, hostile.length + ordinary.length);
    const directory = path.join(box.home, 'files');
    const quarantine = path.join(box.cacheDir, 'quarantine-pop');
    box.writeConfig('poll/pop.conf', ['callback poll.mail', ...common(), 'post_exchange xs_pop', 'sleep 1s', 'batch 500', `pollUrl pops://hostile@127.0.0.1:${bench.dovecot.ports.pop3s}/`].join('\n'));
    box.writeConfig('subscribe/pop.conf', [...subscribeLines('pop', directory), 'attachmentsOnly off', 'sidecar on', 'saveRaw on', 'delete on', `quarantineDirectory ${quarantine}`].join('\n'));
    const pids = startAll();
    const reasons = () => walk(quarantine).filter((file) => file.endsWith('.reason.txt')).length;
    await eventually(async () => (await popUidls(bench, 'hostile')).length === reasons(), 6 * 60_000, () => `the POP3 mailbox down to its quarantined mail; errors: ${logOf('subscribe', 'pop').split('\n').filter((l) => l.includes('[ERROR]')).slice(-5).join('\n')}`);
    assertStillRunning(pids);
    const { results, slowestMs } = outcomes(logOf('subscribe', 'pop'), 'UIDL');
    const counts = checkRun({ hostile, ordinary, keys, results, directory, quarantine });
    assert.deepEqual((await popUidls(bench, 'hostile')).sort(), keys.filter((key) => results.get(key) === 'quarantined').sort(), 'only the quarantined mail left on the server');
    assert.doesNotMatch(logOf('poll', 'pop'), /\[ERROR\]/, 'the poll never failed a pass');
    assertNothingOutside(directory);
    process.stdout.write(`hostile POP3 run: ${hostile.length} hostile + ${ordinary.length} ordinary; ${counts.decoded} decoded, ${counts.quarantined} quarantined; `
      + `peak RSS subscribe ${peakRss('subscribe', 'pop').toFixed(0)} MB, poll ${peakRss('poll', 'pop').toFixed(0)} MB; slowest message ${slowestMs} ms\n`);
  });
});

describe('the poll takes only what it asked for', () => {
  it('announces a backfill once each while a subscribe marks it \\Seen: the server\'s unsolicited FLAGS updates are no headers', async () => {
    const folder = `seen-${Date.now().toString(36)}`;
    const count = 1500;
    await appendMessages(bench, 'hostile', folder, Array.from({ length: count }, (_, index) => plainMessage(`backfill ${index}`, `message ${index}`)));
    const directory = path.join(box.home, 'files');
    box.writeConfig('poll/seen.conf', ['callback poll.mail', ...common(), 'post_exchange xs_seen', 'sleep 5s', 'batch 100', `pollUrl imaps://hostile@127.0.0.1:${bench.dovecot.ports.imaps}/`, `folder ${folder}`].join('\n'));
    box.writeConfig('subscribe/seen.conf', ['callback download.mail_ingest', ...common(), 'exchange xs_seen', `directory ${directory}`, 'attachmentsOnly off', 'mailAction seen'].join('\n'));
    startAll();
    const seen = async () => (await listMessages(bench, 'hostile', folder)).filter((message) => message.flags.includes('\\Seen')).length;
    await eventually(async () => (await seen()) === count, 4 * 60_000, () => `all ${count} marked \\Seen`);
    assert.doesNotMatch(logOf('poll', 'seen'), /\[ERROR\]|undefined/, 'no pass failed, no header without a UID');
    assert.doesNotMatch(logOf('subscribe', 'seen'), /\[ERROR\]|not a mail notification/);
    assert.equal(walk(directory).filter((file) => !file.includes(STAGING_FOLDER)).length, count, 'one body per message, none twice');
  });
});

describe('a message that blocks its decode thread', () => {
  it('does not hold sr stop past stop_timeout; it goes back to the queue and is quarantined by the budget after a restart', async () => {
    const folder = `bomb-${Date.now().toString(36)}`;
    const tools = { random: Math.random, pick: <T>(items: readonly T[]) => items[0]!, bytes: (n: number) => Buffer.alloc(n, 7), id: folder };
    const [uid] = await appendMessages(bench, 'hostile', folder, [regexBomb(tools).raw]);
    const directory = path.join(box.home, 'files');
    box.writeConfig('poll/bomb.conf', ['callback poll.mail', ...common(), 'post_exchange xs_bomb', 'sleep 2s', `pollUrl imaps://hostile@127.0.0.1:${bench.dovecot.ports.imaps}/`, `folder ${folder}`].join('\n'));
    const subscribe = (budget: string) => box.writeConfig('subscribe/bomb.conf', ['callback download.mail_ingest', ...common(), 'exchange xs_bomb', `directory ${directory}`,
      `mailAction move ${folder}-done`, `quarantineFolder ${folder}-quarantine`, REGEX_BOMB_RULE, `decodeBudget ${budget}`, 'stop_timeout 8s'].join('\n'));
    subscribe('1h');
    startAll();
    // Downloaded and in its decode thread, where the rule backtracks for ever.
    await eventually(() => /1 announced/.test(logOf('poll', 'bomb')), 60_000, () => 'the message announced');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const stopped = box.sr(['stop', 'subscribe/bomb']);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.doesNotMatch(stopped.stdout, /SIGKILL/, 'stopped on SIGTERM, within stop_timeout');
    assert.match(logOf('subscribe', 'bomb'), /their decode threads are ended and their connections dropped, the messages go back to the queue/);
    assert.equal((await listMessages(bench, 'hostile', folder)).length, 1, 'nothing tidied');
    subscribe('2s');
    assert.equal(box.sr(['start', 'subscribe/bomb']).code, 0);
    await eventually(async () => (await listMessages(bench, 'hostile', `${folder}-quarantine`).catch(() => [])).length === 1, 60_000, () => 'the message quarantined');
    // The line is logged once the message is moved on the server, and reaches the file after.
    const quarantined = new RegExp(`UID ${uid}: decoding it went over its budget .*; quarantined after 1 try`);
    await eventually(() => quarantined.test(logOf('subscribe', 'bomb')), 10_000, () => 'the quarantine logged');
    assert.match(logOf('subscribe', 'bomb'), quarantined);
    assert.deepEqual(walk(directory).filter((file) => !file.includes(STAGING_FOLDER)), [], 'nothing written for it');
  });
});

