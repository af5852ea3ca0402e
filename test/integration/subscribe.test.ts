// The mail subscribe end to end on a real Dovecot, with the poll announcing: a generated
// corpus of 1,000+ messages (and an Outlook winmail.dat) ingested on each broker (the local one and RabbitMQ), every
// expected file present and byte-exact (sha256 computed by the corpus, not the decoder),
// nothing outside `directory`, every mail moved, a stop and start in the middle with
// nothing lost or written twice. Then POP3 with delete, sidecars and raw backups, and
// quarantine.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { LocalBroker } from '../../lib/broker/local.js';
import type { Notification } from '../../lib/message.js';
import { type Bench, getBench } from '../bench/bench.js';
import { amqpUrl } from '../bench/rabbitmq.js';
import { appendMessages, listMessages, popUidls } from '../bench/mailbox.js';
import { corpusMessage, type CorpusMessage, largeMessage, tnefMessage } from '../helpers/mailCorpus.js';
import { TNEF_FILES, tnefFixture } from '../helpers/tnefFixtures.js';
import { baseName, sha256Of, walk } from '../helpers/files.js';
import { Sandbox, waitFor } from '../helpers/sandbox.js';

let bench: Bench;
let box: Sandbox;

before(async () => { bench = await getBench(); });
beforeEach(() => {
  box = new Sandbox();
  const port = (name: 'imaps' | 'pop3s') => bench.dovecot.ports[name];
  box.writeConfig('credentials.conf', [
    `imaps://ingest:ingest-secret@127.0.0.1:${port('imaps')}/`,
    `pops://courier:courier-secret@127.0.0.1:${port('pop3s')}/`,
    amqpUrl(bench.rabbit),
  ].join('\n'));
});
afterEach(() => box.cleanup());

const unique = () => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const imaps = () => `imaps://ingest@127.0.0.1:${bench.dovecot.ports.imaps}/`;
const pops = () => `pops://courier@127.0.0.1:${bench.dovecot.ports.pop3s}/`;
const common = () => [`tlsCa ${bench.dovecot.caCert}`, 'metrics_writeInterval 1s'];

function writePoll(name: string, lines: readonly string[]): void {
  box.writeConfig(`poll/${name}.conf`, ['callback poll.mail', ...common(), 'sleep 1s', 'batch 500', ...lines].join('\n'));
}

function writeSubscribe(name: string, lines: readonly string[]): void {
  box.writeConfig(`subscribe/${name}.conf`, ['callback download.mail_ingest', ...common(), ...lines].join('\n'));
}

function start(label?: string): void {
  const started = box.sr(['start', ...(label ? [label] : [])]);
  assert.equal(started.code, 0, `${label ?? 'all'}: ${started.stderr}`);
}

/** The files expected, as sorted `name sha256` lines. */
function expectedLines(messages: readonly CorpusMessage[]): string[] {
  return messages.flatMap((message) => message.files.map((file) => `${file.name} ${file.sha256}`)).sort();
}

function writtenLines(dir: string): string[] {
  return walk(dir).filter((file) => !file.endsWith('.json')).map((file) => `${baseName(path.basename(file))} ${sha256Of(path.join(dir, file))}`).sort();
}

/** The files under their names, below `dir`: staging directories and their temporary files start with a dot. */
function placedIn(dir: string): string[] {
  return walk(dir).filter((file) => !file.split(path.sep).some((level) => level.startsWith('.')));
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function subscribeLog(name: string): string {
  // Each instance's current log, through its `<instance>.log` link (the dated file is the same one).
  return walk(path.join(box.cacheDir, 'log')).filter((file) => new RegExp(`^subscribe_${name}_\\d+\\.log$`).test(file))
    .map((file) => fs.readFileSync(path.join(box.cacheDir, 'log', file), 'utf8')).join('');
}

/** The ERROR lines of a subscribe's log: a failing assertion shows them, not the whole log. */
function errorLines(name: string): string[] {
  return subscribeLog(name).split('\n').filter((line) => line.includes('[ERROR]'));
}

const CORPUS_SIZE = Number(process.env.CORPUS_DEBUG ?? 1000);

for (const brokerKind of ['local', 'rabbitmq'] as const) {
  describe(`the subscribe on the ${brokerKind} broker`, () => {
    let corpus: CorpusMessage[];
    let folder: string;

    before(async () => {
      folder = unique();
      corpus = Array.from({ length: CORPUS_SIZE }, (_, index) => corpusMessage(index, folder));
      corpus.push(largeMessage(50 * 1024 * 1024, folder), tnefMessage(tnefFixture('attachments.dat'), TNEF_FILES, folder));
      // The first half only: the rest arrives while the subscribe is stopped (below).
      await appendMessages(bench, 'ingest', folder, corpus.slice(0, Math.floor(corpus.length / 2)).map((message) => message.raw));
    });
    after(() => { corpus = []; });

    it(`ingests ${CORPUS_SIZE} messages, a 50 MB attachment and a winmail.dat: every file byte-exact, nothing outside directory, every mail moved, through a stop and start`, async () => {
      const files = path.join(box.home, 'files');
      const done = `${folder}-done`;
      const brokerLines = brokerKind === 'local' ? [] : [`broker ${amqpUrl(bench.rabbit, false)}`];
      writePoll('mail', [...brokerLines, `pollUrl ${imaps()}`, `folder ${folder}`]);
      writeSubscribe('mail', [...brokerLines, `directory ${files}/\${FOLDER}`, `mailAction move ${done}`, 'instances 2']);
      // Together, as users do: the poll's exchange is declared before the subscribe's queue is bound to it.
      start();
      const expected = expectedLines(corpus);
      const target = path.join(files, folder);
      const written = () => walk(target).filter((file) => !file.startsWith('.')).length;
      await waitFor(() => written() >= expected.length / 3, 120000, 'a third of the files');
      // A stop in the middle: what is in hand finishes, the rest waits in the queue. The second
      // half of the mail arrives meanwhile, so that the stop is in the middle however fast the
      // first half went (it once all went through before sr stop took effect).
      assert.equal(box.sr(['stop', 'subscribe/mail']).code, 0);
      await appendMessages(bench, 'ingest', folder, corpus.slice(Math.floor(corpus.length / 2)).map((message) => message.raw));
      const atStop = written();
      assert.ok(atStop < expected.length, `stopped before the end (${atStop} of ${expected.length} files)`);
      start('subscribe/mail');
      await eventually(async () => (await listMessages(bench, 'ingest', folder)).length === 0, 240000, 'every message moved');

      assert.deepEqual(writtenLines(target), expected, 'every expected file, byte-exact, once');
      assert.deepEqual(walk(files).filter((file) => !file.startsWith(`${folder}/`)), [], 'nothing elsewhere in directory');
      assert.deepEqual(walk(box.home).filter((file) => !file.startsWith('.config/') && !file.startsWith('.cache/') && !file.startsWith('files/')), [], 'nothing outside directory');
      assert.ok(!fs.existsSync(path.resolve(target, '../../x.pdf')) && !fs.existsSync(path.resolve(target, '../x.pdf')), '../../x.pdf stayed inside');
      const moved = await listMessages(bench, 'ingest', done);
      assert.equal(moved.length, corpus.length, 'every mail moved, none twice');
      assert.deepEqual(new Set(moved.map((m) => m.messageId)), new Set(corpus.map((m) => m.messageId)));
      assert.deepEqual(errorLines('mail'), []);
    });
  });
}

describe('the subscribe, one message at a time', () => {
  it('logs what a person needs to follow a message through, poll and subscribe: the steps of logEvents at info, the rest at debug, never a password', async () => {
    const folder = unique();
    const message = corpusMessage(3, folder);
    await appendMessages(bench, 'ingest', folder, [message.raw]);
    const files = path.join(box.home, 'files');
    writePoll('mail', [`pollUrl ${imaps()}`, `folder ${folder}`]);
    writeSubscribe('mail', [`directory ${files}`, `mailAction move ${folder}-done`]);
    const started = box.sr(['--logLevel', 'debug', 'start']);
    assert.equal(started.code, 0, started.stderr);
    await eventually(async () => (await listMessages(bench, 'ingest', folder)).length === 0, 60000, 'the message moved');
    await waitFor(() => /notification acknowledged/.test(subscribeLog('mail')), 10000, 'the acknowledgement');
    const pollLog = fs.readFileSync(path.join(box.cacheDir, 'log', 'poll_mail_01.log'), 'utf8');
    for (const line of [/\[DEBUG\] .* STATUS UIDVALIDITY \d+ UIDNEXT \d+; cursor/, /\[DEBUG\] .*UID SEARCH after UID 0: 1 new, headers of 1 fetched/, new RegExp(`\\[INFO\\] announced imaps://ingest@127.0.0.1:\\d+/${folder}/1.eml ${message.messageId}`)]) {
      assert.match(pollLog, line);
    }
    const log = subscribeLog('mail');
    for (const line of [/\[DEBUG\] q_\S+: notification imaps:\/\/ingest@127.0.0.1:\d+\/\S+\/1.eml/, /\[DEBUG\] .*UID FETCH 1 \(ENVELOPE BODY.PEEK\[\]\)/,
      /\[DEBUG\] .*: downloaded \d+ bytes, in memory, in \d+ ms, sha256 [0-9a-f]{64}/, /\[INFO\] .*: part \d+ \(\S+\) written to \S+/, /\[INFO\] accepted: \(lag: [\d.]+ s\) imaps:/,
      /\[DEBUG\] .*mailAction move \S+ of UIDs 1 done \(copies UIDs \d+ in \S+\)/, /\[DEBUG\] .*: notification acknowledged/]) {
      assert.match(log, line);
    }
    assert.doesNotMatch(pollLog + log, /ingest-secret|rabbit-secret/);
  });

  it('reads POP3 by UIDL, writes bodies, sidecars and the raw backup, then deletes the message', async () => {
    const tag = unique();
    const messages = [corpusMessage(2, tag), corpusMessage(5, tag)];
    await appendMessages(bench, 'courier', 'INBOX', messages.map((m) => m.raw));
    const uidls = await popUidls(bench, 'courier');
    const files = path.join(box.home, 'out');
    writePoll('pop', [`pollUrl ${pops()}`]);
    writeSubscribe('pop', [`directory ${files}/\${%Y}`, 'attachmentsOnly off', 'sidecar on', 'saveRaw on', `rawDirectory ${files}/raw`, 'delete on']);
    start(); // both, as a user would: the subscribe's queue is declared before the poll announces
    await eventually(async () => (await popUidls(bench, 'courier')).length === 0, 60000, 'the POP3 mailbox emptied');
    const year = path.join(files, String(new Date().getUTCFullYear()));
    const names = walk(year).sort();
    assert.deepEqual(names.filter((n) => !n.endsWith('.json')).map(baseName).sort(),
      [...messages.flatMap((m) => m.files.map((f) => f.name)), 'body.txt', 'body.txt'].sort());
    assert.equal(names.filter((n) => n.endsWith('.json')).length, names.length / 2, 'one sidecar per file');
    assert.ok(names.filter((n) => n.endsWith('.json')).every((n) => path.basename(n).startsWith('.')), 'sidecars under dot names, which no attachment takes');
    const pdf = names.find((n) => n.startsWith('facturé'))!;
    const sidecar = JSON.parse(fs.readFileSync(path.join(year, `.${pdf}.json`), 'utf8')) as Record<string, unknown>;
    assert.equal(sidecar.account, pops());
    assert.equal(sidecar.uidl, uidls[0]);
    assert.equal(sidecar.messageId, messages[0]!.messageId);
    assert.equal(sidecar.subject, 'Factures 2');
    assert.equal(sidecar.sha256, sha256Of(path.join(year, pdf)));
    assert.equal(sidecar.partPath, '2');
    const raw = walk(path.join(files, 'raw')).sort();
    assert.equal(raw.length, 2);
    assert.ok(raw.every((name) => name.startsWith('.') && name.endsWith('.eml')));
    assert.ok(fs.readFileSync(path.join(files, 'raw', `.${uidls[0]}.eml`)).equals(messages[0]!.raw), 'the raw backup is the message as it came');
  });

  it('announces each file written downstream: relPath from post_baseDir, sha512 identity, mail provenance', async () => {
    const folder = unique();
    const message = corpusMessage(2, folder);
    await appendMessages(bench, 'ingest', folder, [message.raw]);
    const files = path.join(box.home, 'files');
    const downstream = LocalBroker.open(path.join(box.cacheDir, 'broker', 'local.sqlite'));
    const announced: Notification[] = [];
    try {
      await downstream.declareQueue({ name: `q_test.${folder}`, bindings: [{ exchange: 'xs_files', topic: '#' }], expireSeconds: 0, messageAgeMaxSeconds: 0 });
      await downstream.consume(`q_test.${folder}`, 10, async (delivery) => {
        announced.push(JSON.parse(delivery.body.toString()) as Notification);
        await delivery.ack();
      });
      writePoll('mail', [`pollUrl ${imaps()}`, `folder ${folder}`]);
      writeSubscribe('mail', [`directory ${files}/\${FOLDER}`, 'post_broker local:', 'post_exchange xs_files', `post_baseDir ${files}`, 'post_baseUrl file:/srv/mail/']);
      start();
      await waitFor(() => announced.length === message.files.length, 30000, 'one notification per file');
    } finally {
      await downstream.close();
    }
    for (const notification of announced) {
      const file = path.join(files, notification.relPath);
      assert.ok(notification.relPath.startsWith(`${folder}/`), notification.relPath);
      assert.equal(notification.baseUrl, 'file:/srv/mail/');
      assert.equal(notification.size, fs.statSync(file).size);
      assert.deepEqual(notification.identity, { method: 'sha512', value: crypto.createHash('sha512').update(fs.readFileSync(file)).digest('base64') });
      assert.equal(notification.mail?.messageId, message.messageId);
      assert.equal(notification.mail?.folder, folder);
      assert.match(String(notification.mail?.partPath), /^[2-4]$/);
    }
    assert.deepEqual(announced.map((n) => `${path.basename(n.relPath)} ${sha256Of(path.join(files, n.relPath))}`).sort(), expectedLines([message]));
  });

  it('places files as sr3\'s mirror and flatten say, each accept line with the values written above it', async () => {
    const [mirrored, flattened] = [unique(), unique()];
    const messages = [corpusMessage(2, mirrored), corpusMessage(3, flattened)];
    await appendMessages(bench, 'ingest', mirrored, [messages[0]!.raw]);
    await appendMessages(bench, 'ingest', flattened, [messages[1]!.raw]);
    const files = path.join(box.home, 'files');
    writePoll('mail', [`pollUrl ${imaps()}`, `folder ${mirrored}`, `folder ${flattened}`]);
    writeSubscribe('mail', [`directory ${files}`, 'mirror on', `accept .*/${mirrored}/.*`, 'mirror off', 'flatten -', 'accept .*']);
    start();
    const expected = [
      ...messages[0]!.files.map((file) => `${mirrored}/${file.name} ${file.sha256}`),
      ...messages[1]!.files.map((file) => `${flattened}-${file.name} ${file.sha256}`),
    ].sort();
    const placed = () => placedIn(files);
    await waitFor(() => placed().length === expected.length, 30000, 'every file');
    assert.deepEqual(placed().map((file) => `${file} ${sha256Of(path.join(files, file))}`).sort(), expected, errorLines('mail').join('\n'));
  });

  it('sends a message through again with sr reingest, by its URL or its Message-ID: its files written again under new names, said in the log', async () => {
    const folder = unique();
    const message = corpusMessage(4, folder);
    await appendMessages(bench, 'ingest', folder, [message.raw]);
    const files = path.join(box.home, 'files');
    writePoll('mail', [`pollUrl ${imaps()}`, `folder ${folder}`]);
    writeSubscribe('mail', [`directory ${files}`]);
    start();
    const placed = () => placedIn(files);
    await waitFor(() => placed().length === message.files.length, 30000, 'the first ingest');
    const byUrl = box.sr(['reingest', 'subscribe/mail', `${imaps()}${folder}/1.eml`]);
    assert.equal(byUrl.code, 0, byUrl.stderr);
    assert.match(byUrl.stdout, /sent to queue q_/);
    await waitFor(() => placed().length === 2 * message.files.length, 30000, 'the files written again');
    const byId = box.sr(['reingest', 'subscribe/mail', imaps(), message.messageId]);
    assert.equal(byId.code, 0, byId.stderr);
    await waitFor(() => placed().length === 3 * message.files.length, 30000, 'the files written a third time');
    const shas = placed().map((file) => sha256Of(path.join(files, file))).sort();
    assert.deepEqual(shas, message.files.flatMap((file) => [file.sha256, file.sha256, file.sha256]).sort(), 'each file three times, byte-exact, none overwritten');
    assert.match(subscribeLog('mail'), /re-ingested as sr reingest asked at/);
    const missing = box.sr(['reingest', 'subscribe/mail', `${imaps()}${folder}/99.eml`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /has no UID 99/);
  });

  it('keeps a message it cannot fetch (login refused) and ingests it once the password is fixed', async () => {
    const folder = unique();
    const message = corpusMessage(2, folder);
    await appendMessages(bench, 'ingest', folder, [message.raw]);
    const files = path.join(box.home, 'files');
    writePoll('mail', [`pollUrl ${imaps()}`, `folder ${folder}`]);
    writeSubscribe('mail', [`directory ${files}`, `mailAction move ${folder}-done`]);
    // Credentials are read when an instance starts: the subscribe starts with a wrong password, the poll with the right one.
    const credentials = (password: string) => box.writeConfig('credentials.conf', `imaps://ingest:${password}@127.0.0.1:${bench.dovecot.ports.imaps}/\n`);
    credentials('wrong-password');
    start('subscribe/mail');
    credentials('ingest-secret');
    start('poll/mail');
    const errors = () => (JSON.parse(box.sr(['status', '--json', 'subscribe/mail']).stdout) as Array<{ counters: Record<string, number> }>)[0]?.counters.errors ?? 0;
    await waitFor(() => errors() >= 2, 30000, 'a first try and a retry (after 10 s)');
    assert.equal(subscribeLog('mail').match(/login refused for ingest@127.0.0.1/g)?.length, 1, 'logged once, not at every retry');
    assert.doesNotMatch(subscribeLog('mail'), /wrong-password/, 'the password is never logged');
    await waitFor(() => box.sr(['status', 'subscribe/mail']).code === 1, 10000, 'sr status to say the subscribe fails');
    assert.match(box.sr(['status', 'subscribe/mail']).stdout, /^subscribe\/mail: imaps:\/\/ingest@127.0.0.1:\d+\/ failing since .*: login refused for ingest@127.0.0.1.*credentials.conf line 1\)/m);
    assert.deepEqual(walk(files), []);
    assert.equal((await listMessages(bench, 'ingest', folder)).length, 1, 'the message stays on the server');

    assert.equal(box.sr(['stop', 'subscribe/mail']).code, 0, 'the message in retry goes back to the queue');
    start('subscribe/mail');
    await eventually(async () => (await listMessages(bench, 'ingest', folder)).length === 0, 60000, 'the message moved');
    assert.deepEqual(writtenLines(files), expectedLines([message]));
    // The mailbox's totals keep the failures of the first run beside the success of the second.
    const account = `imaps://ingest@127.0.0.1:${bench.dovecot.ports.imaps}/`;
    const totals = () => (JSON.parse(box.sr(['status', '--json', 'subscribe/mail']).stdout) as Array<{ mailboxTotals: Record<string, Record<string, number>> }>)[0]?.mailboxTotals[account];
    await waitFor(() => totals()?.messages === 1, 15000, `the mailbox's totals: ${JSON.stringify(totals())}`);
    assert.ok((totals()?.errors ?? 0) >= 2, 'the refused logins of the first run, counted across the restart');
  });

  it('ingests a message announced twice at once (two polls on one folder) once, without an error', async () => {
    const folder = unique();
    const messages = [corpusMessage(2, folder), corpusMessage(3, folder)];
    await appendMessages(bench, 'ingest', folder, messages.map((message) => message.raw));
    const files = path.join(box.home, 'files');
    writePoll('first', [`pollUrl ${imaps()}`, `folder ${folder}`]);
    writePoll('second', [`pollUrl ${imaps()}`, `folder ${folder}`]);
    writeSubscribe('mail', [`directory ${files}`, `mailAction move ${folder}-done`, 'logEvents +nodupe']);
    // Both announcements queued before the subscribe starts: it has them in hand together.
    assert.equal(box.sr(['declare', 'subscribe/mail']).code, 0);
    start('poll/first');
    start('poll/second');
    const pollLog = (name: string) => fs.readFileSync(path.join(box.cacheDir, 'log', `poll_${name}_01.log`), 'utf8');
    await waitFor(() => ['first', 'second'].every((name) => pollLog(name).includes('2 announced')), 30000, 'both polls announcing both messages');
    start('subscribe/mail');
    await eventually(async () => (await listMessages(bench, 'ingest', folder)).length === 0, 60000, 'both messages moved');
    await waitFor(() => /ingested before, nothing to do[^]*ingested before, nothing to do/.test(subscribeLog('mail')), 30000, 'each second notification taken as done');
    assert.deepEqual(writtenLines(files), expectedLines(messages));
    assert.equal((await listMessages(bench, 'ingest', `${folder}-done`)).length, 2, 'each moved once');
    assert.deepEqual(errorLines('mail'), []);
  });

  it('flags or deletes on IMAP as mailAction says, each subscribe taking its own folder by subtopic', async () => {
    const [flagged, deleted] = [unique(), unique()];
    await appendMessages(bench, 'ingest', flagged, [corpusMessage(2, flagged).raw, corpusMessage(3, flagged).raw]);
    await appendMessages(bench, 'ingest', deleted, [corpusMessage(2, deleted).raw]);
    const files = path.join(box.home, 'files');
    writePoll('mail', [`pollUrl ${imaps()}`, `folder ${flagged}`, `folder ${deleted}`]);
    // The topic carries the mailbox, then the folder: v03.<host>.<user>.<folder>.
    writeSubscribe('flag', [`directory ${files}/flag`, `subtopic 127.0.0.1.ingest.${flagged}.#`, 'mailAction flag $Processed']);
    writeSubscribe('delete', [`directory ${files}/delete`, `subtopic 127.0.0.1.ingest.${deleted}.#`, 'mailAction delete']);
    start();
    await eventually(async () => (await listMessages(bench, 'ingest', deleted)).length === 0, 60000, 'the message deleted');
    await eventually(async () => (await listMessages(bench, 'ingest', flagged)).every((m) => m.flags.includes('$Processed')), 60000, 'both messages flagged');
    assert.ok((await listMessages(bench, 'ingest', flagged)).every((m) => !m.flags.includes('\\Seen')), 'flag sets only the keyword');
    assert.equal(walk(path.join(files, 'flag')).length, 3 + 2);
    assert.equal(walk(path.join(files, 'delete')).length, 3);
  });

  it('keeps two poll/subscribe pairs copied from the examples apart: each subscribe takes the mailbox of the poll of its name', async () => {
    const folder = unique();
    const ofA = [corpusMessage(2, `${folder}a`), corpusMessage(3, `${folder}a`)];
    const ofB = [corpusMessage(5, `${folder}b`), corpusMessage(6, `${folder}b`)];
    await appendMessages(bench, 'ingest', folder, ofA.map((m) => m.raw));
    await appendMessages(bench, 'postal', folder, ofB.map((m) => m.raw));
    box.writeConfig('credentials.conf', [`imaps://ingest:ingest-secret@127.0.0.1:${bench.dovecot.ports.imaps}/`, `imaps://postal:postal-secret@127.0.0.1:${bench.dovecot.ports.imaps}/`].join('\n'));
    const files = path.join(box.home, 'files');
    // No broker, exchange or subtopic line: what a newcomer writes.
    writePoll('depta', [`pollUrl ${imaps()}`, `folder ${folder}`]);
    writePoll('deptb', [`pollUrl imaps://postal@127.0.0.1:${bench.dovecot.ports.imaps}/`, `folder ${folder}`]);
    writeSubscribe('depta', [`directory ${files}/a`, `mailAction move ${folder}-done`]);
    writeSubscribe('deptb', [`directory ${files}/b`, `mailAction move ${folder}-done`]);
    start();
    await eventually(async () => (await listMessages(bench, 'ingest', folder)).length === 0 && (await listMessages(bench, 'postal', folder)).length === 0, 60000, 'both mailboxes tidied');
    assert.deepEqual(writtenLines(path.join(files, 'a')), expectedLines(ofA), 'depta wrote depta\'s files only');
    assert.deepEqual(writtenLines(path.join(files, 'b')), expectedLines(ofB), 'deptb wrote deptb\'s files only');
    assert.equal((await listMessages(bench, 'ingest', `${folder}-done`)).length, ofA.length, 'each mail moved once');
    assert.equal((await listMessages(bench, 'postal', `${folder}-done`)).length, ofB.length, 'each mail moved once');
    // A third subscribe, named after no poll, would take both: refused, with the lines to add.
    writeSubscribe('archive', [`directory ${files}/all`]);
    const refused = box.sr(['start', 'subscribe/archive']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /subscribe\/archive would take the mail of every mailbox announced on xpublic: .*poll\/depta.*poll\/deptb/);
    assert.match(refused.stderr, /"subtopic 127\.0\.0\.1\.ingest\.#" or "subtopic 127\.0\.0\.1\.postal\.#"/);
    // A subscribe paired with a POP3 poll cannot move: said when the config is checked.
    writePoll('pop', [`pollUrl ${pops()}`]);
    writeSubscribe('pop', [`directory ${files}/pop`, 'mailAction move Done']);
    const popRefused = box.sr(['start', 'subscribe/pop']);
    assert.equal(popRefused.code, 1);
    assert.match(popRefused.stderr, /subscribe\/pop: "mailAction move Done" cannot be done on pops:\/\/courier@127.0.0.1:\d+\/, which poll\/pop reads: POP3 has no flags nor folders/);
  });

  it('takes an account\'s TLS settings from its credentials.conf line, for the poll and the subscribe alike', async () => {
    const folder = unique();
    const messages = [corpusMessage(2, folder)];
    await appendMessages(bench, 'ingest', folder, messages.map((m) => m.raw));
    // The quick start's configs: no tlsCa line in either; the CA is said once, with the account.
    box.writeConfig('credentials.conf', `imaps://ingest:ingest-secret@127.0.0.1:${bench.dovecot.ports.imaps}/ tlsCa=${bench.dovecot.caCert}\n`);
    const files = path.join(box.home, 'files');
    box.writeConfig('poll/mail.conf', ['callback poll.mail', 'sleep 1s', `pollUrl ${imaps()}`, `folder ${folder}`].join('\n'));
    box.writeConfig('subscribe/mail.conf', ['callback download.mail_ingest', `directory ${files}`, `mailAction move ${folder}-done`].join('\n'));
    start();
    await eventually(async () => (await listMessages(bench, 'ingest', folder)).length === 0, 60000, 'the message ingested and moved');
    assert.deepEqual(writtenLines(files), expectedLines(messages));
    assert.deepEqual(errorLines('mail'), []);
    // A tlsCa detail naming no file is refused by sr start, with its line.
    box.writeConfig('credentials.conf', `imaps://ingest:ingest-secret@127.0.0.1:${bench.dovecot.ports.imaps}/ tlsCa=/nonexistent/ca.pem\n`);
    assert.equal(box.sr(['stop']).code, 0);
    const refused = box.sr(['start', 'poll/mail']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /credentials.conf:1: "tlsCa" \/nonexistent\/ca.pem: no such file/);
  });

  it('announces nothing into the void: a poll started alone holds its messages until a subscribe binds its queue', async () => {
    const folder = unique();
    const messages = [corpusMessage(2, folder), corpusMessage(3, folder)];
    await appendMessages(bench, 'ingest', folder, messages.map((m) => m.raw));
    const files = path.join(box.home, 'files');
    writePoll('alone', [`pollUrl ${imaps()}`, `folder ${folder}`, 'post_exchange xs_alone']);
    writeSubscribe('alone', [`directory ${files}`, 'exchange xs_alone', `mailAction move ${folder}-done`]);
    start('poll/alone'); // as in sr3, to try the poll first: no queue takes its announcements yet
    const pollLog = () => fs.readFileSync(path.join(box.cacheDir, 'log', 'poll_alone_01.log'), 'utf8');
    await waitFor(() => /nothing takes the notifications of exchange xs_alone/.test(pollLog()), 30000, 'the poll saying nobody takes its announcements');
    assert.match(pollLog(), /the poll's place stays before them; retrying in 10s/);
    start('subscribe/alone');
    await eventually(async () => (await listMessages(bench, 'ingest', folder)).length === 0, 60000, 'both messages ingested and moved');
    assert.deepEqual(writtenLines(files), expectedLines(messages), 'every file of the messages the poll held');
    assert.match(pollLog(), /2 announced/);
  });

  it('keeps the quarantine within quarantineSizeMax: the oldest entry goes, said in the log, the mail stays flagged on its server', async () => {
    const folder = unique();
    const bigs = [largeMessage(150_000, folder), largeMessage(160_000, folder)];
    await appendMessages(bench, 'ingest', folder, bigs.map((message) => message.raw));
    const quarantine = path.join(box.home, 'quarantine');
    writePoll('mail', [`pollUrl ${imaps()}`, `folder ${folder}`]);
    writeSubscribe('mail', [`directory ${path.join(box.home, 'files')}`, 'maxMessageSize 100k', 'attempts 1', `quarantineDirectory ${quarantine}`, 'quarantineSizeMax 1']);
    start();
    await eventually(async () => (await listMessages(bench, 'ingest', folder)).every((m) => m.flags.includes('$Quarantined')), 60000, 'both quarantined');
    await waitFor(() => /quarantine: removed .*the quarantine is over quarantineSizeMax/.test(subscribeLog('mail')), 15000, 'the oldest entry removed');
    assert.equal(walk(quarantine).filter((file) => file.endsWith('.reason.txt')).length, 1, 'the newest entry kept');
    assert.match(box.sr(['quarantine', 'list']).stdout, /more than maxMessageSize 100000/);
  });

  it('quarantines a message over maxMessageSize with its reason and flags it; the others go on', async () => {
    const folder = unique();
    const small = corpusMessage(2, folder, 500);
    const big = largeMessage(200_000, folder);
    await appendMessages(bench, 'ingest', folder, [small.raw, big.raw]);
    const files = path.join(box.home, 'files');
    const quarantine = path.join(box.home, 'quarantine');
    writePoll('mail', [`pollUrl ${imaps()}`, `folder ${folder}`]);
    writeSubscribe('mail', [`directory ${files}`, 'maxMessageSize 100k', 'attempts 1', `quarantineDirectory ${quarantine}`, 'mailAction seen']);
    start('subscribe/mail');
    start('poll/mail');
    await eventually(async () => (await listMessages(bench, 'ingest', folder)).every((m) => m.flags.includes('\\Seen') || m.flags.includes('$Quarantined')), 60000, 'both messages tidied');
    const [first, second] = await listMessages(bench, 'ingest', folder);
    assert.ok(first!.flags.includes('\\Seen'));
    assert.ok(second!.flags.includes('$Quarantined') && !second!.flags.includes('\\Seen'), 'the large one is flagged, not seen');
    assert.deepEqual(writtenLines(files), expectedLines([small]));
    const reasons = walk(quarantine);
    assert.equal(reasons.length, 1, 'a reason file, and no download of a message too large');
    assert.match(fs.readFileSync(path.join(quarantine, reasons[0]!), 'utf8'), /more than maxMessageSize 100000/);
    assert.match(subscribeLog('mail'), /\[ERROR\].*UID 2: .*more than maxMessageSize 100000; quarantined after 1 try,/);

    // The cause fixed, the operator lists what was set aside and sends it through again.
    const listed = box.sr(['quarantine', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    const id = reasons[0]!.replace(/\.reason\.txt$/, '');
    assert.match(listed.stdout, new RegExp(`^subscribe/mail +${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +\\S+ +\\S+.*more than maxMessageSize 100000.* +${big.messageId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +no$`, 'm'));
    writeSubscribe('mail', [`directory ${files}`, `quarantineDirectory ${quarantine}`, 'mailAction seen']);
    assert.equal(box.sr(['restart', 'subscribe/mail']).code, 0);
    const retried = box.sr(['quarantine', 'retry', 'subscribe/mail', 'all']);
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(retried.stdout, /sent through again \(queue q_anonymous\.subscribe\.mail\./);
    await eventually(async () => (await listMessages(bench, 'ingest', folder)).every((m) => m.flags.includes('\\Seen')), 60000, 'the large one ingested');
    assert.deepEqual(writtenLines(files), expectedLines([small, big]));
    assert.equal(box.sr(['quarantine', 'list', 'subscribe/mail']).stdout.trim(), 'nothing quarantined');
  });
});
