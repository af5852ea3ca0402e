// The mail poll on a real Dovecot: `sr start poll/...` announces each new message once on
// the local broker, never changes the mailbox, and keeps its cursor across restarts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { LocalBroker } from '../../lib/broker/local.js';
import type { Notification } from '../../lib/message.js';
import { type Bench, getBench } from '../bench/bench.js';
import { appendMessages, deleteFolder, emptyFolder, listMessages, plainMessage } from '../bench/mailbox.js';
import { Sandbox, waitFor } from '../helpers/sandbox.js';

let bench: Bench;
let box: Sandbox;
let broker: LocalBroker;
let queue: string;
let received: Notification[];

before(async () => { bench = await getBench(); });

const unique = () => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const imaps = (user = 'ingest') => `imaps://${user}@127.0.0.1:${bench.dovecot.ports.imaps}/`;

/** A HOME with credentials for the bench users and a queue on the local broker catching every announcement. */
beforeEach(async () => {
  box = new Sandbox();
  const creds = (scheme: string, port: number) => [
    `${scheme}://ingest:ingest-secret@127.0.0.1:${port}/`,
    `${scheme}://clerk:${encodeURIComponent('p@ss/w#rd%20?')}@127.0.0.1:${port}/`,
  ];
  box.writeConfig('credentials.conf', [...creds('imaps', bench.dovecot.ports.imaps), ...creds('imap', bench.dovecot.ports.imap)].join('\n'));
  broker = LocalBroker.open(path.join(box.cacheDir, 'broker', 'local.sqlite'));
  queue = `q_test.${unique()}`;
  await broker.declareQueue({ name: queue, bindings: [{ exchange: 'xpublic', topic: '#' }], expireSeconds: 0, messageAgeMaxSeconds: 0 });
  received = [];
  await broker.consume(queue, 100, async (delivery) => {
    received.push(JSON.parse(delivery.body.toString()) as Notification);
    await delivery.ack();
  });
});
afterEach(async () => {
  box.cleanup();
  await broker.close();
});

function pollConfig(name: string, lines: string[]): void {
  box.writeConfig(`poll/${name}.conf`, ['callback poll.mail', `tlsCa ${bench.dovecot.caCert}`, 'sleep 1s', 'metrics_writeInterval 1s', ...lines].join('\n'));
}

function log(name: string): string {
  const file = path.join(box.cacheDir, 'log', `poll_${name}_01.log`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

const relPaths = () => received.map((n) => n.relPath).sort();

describe('the IMAP poll', () => {
  it('announces each new message once over IMAPS, without setting \\Seen, across a restart', async () => {
    const folder = unique();
    const message = plainMessage('Invoice 1', 'first', { 'Message-ID': `<inv1-${folder}@example.org>` });
    await appendMessages(bench, 'ingest', folder, [message, plainMessage('Invoice 2', 'second'), plainMessage('Invoice 3', 'third')]);
    pollConfig('mail', [`pollUrl ${imaps()}`, `folder ${folder}`]);
    const started = box.sr(['start', 'poll/mail']);
    assert.equal(started.code, 0, started.stderr);
    await waitFor(() => received.length === 3, 15000, 'three announcements');

    const first = received.find((n) => n.relPath === `${folder}/1.eml`)!;
    assert.equal(first.baseUrl, imaps(), 'baseUrl is the mailbox URL without password');
    assert.equal(first.size, Buffer.byteLength(message));
    assert.equal(first.contentType, 'message/rfc822');
    assert.deepEqual(first.identity, { method: 'cod', value: 'sha512' });
    assert.equal(first.mail?.uid, 1);
    assert.equal(first.mail?.folder, folder);
    assert.equal(first.mail?.messageId, `<inv1-${folder}@example.org>`);
    assert.equal(first.mail?.subject, 'Invoice 1');
    assert.match(String(first.mail?.from), /sender@example.org/);
    assert.equal(typeof first.mail?.uidValidity, 'number');
    assert.ok((await listMessages(bench, 'ingest', folder)).every((m) => !m.flags.includes('\\Seen')), 'polling never sets \\Seen');

    await appendMessages(bench, 'ingest', folder, [plainMessage('Invoice 4', 'fourth')]);
    await waitFor(() => received.length === 4, 15000, 'the fourth');
    assert.equal(box.sr(['stop', 'poll/mail']).code, 0);
    await appendMessages(bench, 'ingest', folder, [plainMessage('Invoice 5', 'arrived while stopped')]);
    assert.equal(box.sr(['start', 'poll/mail']).code, 0);
    await waitFor(() => received.length >= 5, 15000, 'the one that came while stopped');
    await new Promise((resolve) => setTimeout(resolve, 2500)); // two more passes: anything announced twice?
    assert.deepEqual(relPaths(), [1, 2, 3, 4, 5].map((uid) => `${folder}/${uid}.eml`));
    assert.doesNotMatch(log('mail'), /ingest-secret/);
  });

  it('uses STARTTLS on imap:// and refuses a server that does not offer it, before sending the password', async () => {
    const folder = unique();
    await appendMessages(bench, 'ingest', folder, [plainMessage('Over STARTTLS', 'x')]);
    pollConfig('plain', [`pollUrl imap://ingest@127.0.0.1:${bench.dovecot.ports.imap}/`, `folder ${folder}`]);
    assert.equal(box.sr(['start', 'poll/plain']).code, 0);
    await waitFor(() => received.length === 1, 15000, 'the announcement over STARTTLS');

    // A server that never offers STARTTLS: the poll must hang up before LOGIN.
    const heard: string[] = [];
    const server = net.createServer((socket) => {
      socket.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] plaintext only\r\n');
      socket.on('data', (chunk) => {
        const text = chunk.toString();
        heard.push(text);
        const tag = text.split(' ')[0];
        if (/CAPABILITY/i.test(text)) socket.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`);
        else socket.write(`${tag} OK whatever\r\n`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      box.writeConfig('credentials.conf', `imap://ingest:ingest-secret@127.0.0.1:${port}/\n`);
      pollConfig('nostarttls', [`pollUrl imap://ingest@127.0.0.1:${port}/`]);
      assert.equal(box.sr(['start', 'poll/nostarttls']).code, 0);
      await waitFor(() => /TLS refused/.test(log('nostarttls')), 15000, 'the refusal in the log');
      assert.match(log('nostarttls'), /imap:\/\/ingest@127.0.0.1:\d+\/: TLS refused: Server does not support STARTTLS/);
      assert.doesNotMatch(heard.join(''), /LOGIN|AUTHENTICATE|ingest-secret/i, 'no credentials sent in clear');
    } finally {
      server.close();
    }
  });

  it('refuses a certificate it cannot verify unless tlsCa or tlsVerify off says otherwise', async () => {
    const folder = unique();
    await appendMessages(bench, 'ingest', folder, [plainMessage('Trust', 'x')]);
    box.writeConfig('poll/untrusted.conf', ['sleep 1s', `pollUrl ${imaps()}`, `folder ${folder}`].join('\n'));
    assert.equal(box.sr(['start', 'poll/untrusted']).code, 0);
    await waitFor(() => /certificate of 127.0.0.1 is not trusted \(.*\): add "tlsCa <file of the CA that signed it>"/.test(log('untrusted')), 15000, `the certificate refusal in words in the log: ${log('untrusted')}`);
    assert.equal(received.length, 0);
    await waitFor(() => /certificate/i.test(box.sr(['status', 'poll/untrusted']).stdout), 10000, 'the error in sr status');
    assert.equal(box.sr(['stop', 'poll/untrusted']).code, 0);

    box.writeConfig('poll/insecure.conf', ['sleep 1s', 'tlsVerify off', 'metrics_writeInterval 1s', `pollUrl ${imaps()}`, `folder ${folder}`].join('\n'));
    assert.equal(box.sr(['start', 'poll/insecure']).code, 0);
    await waitFor(() => received.length === 1, 15000, 'the announcement without verification');
    assert.match(log('insecure'), /\[WARNING\] tlsVerify is off/);
    await waitFor(() => /tlsVerify off/.test(box.sr(['status']).stdout), 10000, 'tlsVerify off shown in sr status');
  });

  it('watches subfolders at any depth, names with spaces and accents, and special-use folders', async () => {
    const top = unique();
    const deep = `${top}.2026.Q4 Factures été`;
    await appendMessages(bench, 'ingest', top, [plainMessage('top', 'x')]);
    await appendMessages(bench, 'ingest', `${top}.2026`, [plainMessage('middle', 'x')]);
    await appendMessages(bench, 'ingest', deep, [plainMessage('deep', 'x')]);
    const junkBefore = (await listMessages(bench, 'ingest', 'Junk')).length;
    await appendMessages(bench, 'ingest', 'Junk', [plainMessage('spam', 'x')]);
    pollConfig('tree', [`pollUrl ${imaps()}`, `folder ${top}`, 'folder \\Junk', 'folderRecursive on']);
    assert.equal(box.sr(['start', 'poll/tree']).code, 0);
    await waitFor(() => received.length === 4 + junkBefore, 15000, 'four folders announced');
    const paths = relPaths();
    assert.ok(paths.includes(`${top}/1.eml`));
    assert.ok(paths.includes(`${top}/2026/1.eml`));
    assert.ok(paths.includes(`${top}/2026/Q4 Factures été/1.eml`), paths.join(', '));
    assert.ok(paths.some((p) => p.startsWith('Junk/')));
    assert.equal(received.find((n) => n.relPath.includes('Factures'))?.mail?.folder, deep);
  });

  it('announces only what matches mailSearch and the accept/reject rules', async () => {
    const folder = unique();
    await appendMessages(bench, 'ingest', folder, [
      plainMessage('invoice 100', 'x'), plainMessage('newsletter', 'x'), plainMessage('invoice 101', 'x'), plainMessage('invoice 102 seen', 'x'),
    ]);
    await appendMessages(bench, 'ingest', folder, [plainMessage('invoice 103 already seen', 'x')], ['\\Seen']);
    pollConfig('search', [`pollUrl ${imaps()}`, `folder ${folder}`, 'mailSearch UNSEEN SUBJECT invoice', `reject .*/${folder}/3\\.eml`]);
    assert.equal(box.sr(['start', 'poll/search']).code, 0);
    await waitFor(() => received.length >= 2, 15000, 'the matching ones');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.deepEqual(received.map((n) => n.mail?.subject).sort(), ['invoice 100', 'invoice 102 seen']);
  });

  it('keeps its totals across a restart, shown by sr status --full and --json with the rate', async () => {
    const folder = unique();
    await appendMessages(bench, 'ingest', folder, Array.from({ length: 6 }, (_, index) => plainMessage(`total ${index}`, 'x')));
    pollConfig('totals', [`pollUrl ${imaps()}`, `folder ${folder}`, 'batch 2', 'metricsDirectory ${HOME}/metrics']);
    assert.equal(box.sr(['start', 'poll/totals']).code, 0);
    const json = () => (JSON.parse(box.sr(['status', '--json', 'poll/totals']).stdout) as Array<{ shape: number; totals: Record<string, number>; totalsSince: string | null; ratePerMinute: number; remaining: number | null }>)[0]!;
    await waitFor(() => json().totals.announced === 6, 15000, 'the six counted in the totals');
    assert.equal(json().shape, 1);
    assert.ok(json().ratePerMinute > 0, 'announcing: a rate');
    assert.equal(json().remaining, 0);
    assert.equal(box.sr(['stop', 'poll/totals']).code, 0);
    await appendMessages(bench, 'ingest', folder, [plainMessage('after the restart', 'x')]);
    assert.equal(box.sr(['start', 'poll/totals']).code, 0);
    await waitFor(() => json().totals.announced === 7, 15000, 'the totals going on from where they were');
    const full = box.sr(['status', '--full', 'poll/totals']);
    assert.match(full.stdout, /^poll\/totals: totals since \S+: announced=7/m);
    assert.match(full.stdout, /^poll\/totals: imaps:\/\/ingest@127\.0\.0\.1:\d+\/: announced=7$/m, 'the same per mailbox');
    assert.deepEqual(Object.values((JSON.parse(box.sr(['status', '--json', 'poll/totals']).stdout) as Array<{ mailboxTotals: Record<string, Record<string, number>> }>)[0]!.mailboxTotals), [{ announced: 7 }]);
    assert.match(full.stdout, /^poll\/totals: \d+ per minute over the last minute; 0 remaining on the server/m);
    // The same for monitoring: the totals across the restart, the mailbox's last good pass, what remains.
    const prom = path.join(box.home, 'metrics', 'mailpump_poll_totals_01.prom');
    await waitFor(() => fs.existsSync(prom) && /^mailpump_config_events_total\{event="announced",[^}]*\} 7$/m.test(fs.readFileSync(prom, 'utf8')), 10000, 'the totals in the metrics');
    const text = fs.readFileSync(prom, 'utf8');
    const mailbox = `mailbox="${imaps().replace(/\/$/, '')}`;
    const lastSuccess = new RegExp(`^mailpump_mailbox_last_success_time_seconds\\{${mailbox}[^"]*",[^}]*\\} (\\S+)$`, 'm').exec(text);
    assert.ok(lastSuccess && Math.abs(Number(lastSuccess[1]) - Date.now() / 1000) < 60, `a recent last success in ${text}`);
    assert.match(text, new RegExp(`^mailpump_mailbox_remaining_messages\\{${mailbox}[^"]*",[^}]*\\} 0$`, 'm'));
    assert.match(text, /^mailpump_rate_per_minute\{[^}]*\} \d+$/m);
    assert.match(text, /^mailpump_backfill_end_time_seconds\{[^}]*\} 0$/m, 'nothing remains: no end time');
  });

  it('with nodupe_ttl, passes over a copy of mail announced from the account within it, in any folder; without, announces both', async () => {
    const [first, second] = [unique(), unique()];
    const copy = plainMessage('the same mail in two folders', 'x');
    await appendMessages(bench, 'ingest', first, [copy]);
    await appendMessages(bench, 'ingest', second, [copy, plainMessage('only here', 'x')]);
    pollConfig('nodupe', [`pollUrl ${imaps()}`, `folder ${first}`, `folder ${second}`, 'nodupe_ttl 1h', 'logEvents +nodupe']);
    assert.equal(box.sr(['start', 'poll/nodupe']).code, 0);
    await waitFor(() => received.length >= 2 && /passed over/.test(log('nodupe')), 15000, 'one copy and the other mail');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.deepEqual(received.map((n) => n.mail?.subject).sort(), ['only here', 'the same mail in two folders']);
    assert.equal(box.sr(['stop', 'poll/nodupe']).code, 0);
    received.length = 0;
    pollConfig('twice', [`pollUrl ${imaps()}`, `folder ${first}`, `folder ${second}`]);
    assert.equal(box.sr(['start', 'poll/twice']).code, 0);
    await waitFor(() => received.length >= 3, 15000, 'both copies, without nodupe_ttl');
  });

  it('takes on its first pass what firstPass says (unseen, new, since a date), shown first by sr foreground --dry_run, and all mail arriving later', async () => {
    const folder = unique();
    const old = new Date('2020-03-01T10:00:00Z');
    await appendMessages(bench, 'ingest', folder, [plainMessage('read long ago', 'x')], ['\\Seen'], old);
    await appendMessages(bench, 'ingest', folder, [plainMessage('unread long ago', 'x')], [], old);
    await appendMessages(bench, 'ingest', folder, [plainMessage('read lately', 'x')], ['\\Seen']);
    await appendMessages(bench, 'ingest', folder, [plainMessage('unread lately', 'x')]);
    const subjects = () => received.filter((n) => n.relPath.includes(`/${folder}/`) || n.relPath.startsWith(`${folder}/`)).map((n) => n.mail?.subject).sort();
    for (const [name, policy, expected] of [
      ['unseen', 'unseen', ['unread lately', 'unread long ago']],
      ['recent', 'since 2026-01-01', ['read lately', 'unread lately']],
      ['fresh', 'new', []],
    ] as const) {
      pollConfig(name, [`pollUrl ${imaps()}`, `folder ${folder}`, `firstPass ${policy}`]);
      const dry = box.sr(['foreground', '--dry_run', `poll/${name}`]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.equal(dry.stdout.split('\n').filter((line) => line.startsWith('would announce')).length, expected.length, dry.stdout);
      assert.match(dry.stdout, new RegExp(`first pass \\(firstPass ${policy}\\)`));
      assert.match(dry.stdout, new RegExp(`dry run of poll/${name}: ${expected.length} messages would be announced; nothing was published`));
      for (const subject of expected) assert.match(dry.stdout, new RegExp(`: ${subject}$`, 'm'));
      assert.equal(fs.existsSync(box.stateFile('poll', name, 'poll.sqlite')), false, 'the dry run kept nothing');
      received = [];
      assert.equal(box.sr(['start', `poll/${name}`]).code, 0);
      await waitFor(() => log(name).includes('first pass over 1 folders'), 15000, 'the first pass');
      await new Promise((resolve) => setTimeout(resolve, 2500));
      assert.deepEqual(subjects(), [...expected].sort(), `firstPass ${policy}`);
      assert.equal(box.sr(['stop', `poll/${name}`]).code, 0);
    }
    // Mail arriving later is taken whatever the policy, read or not.
    received = [];
    await appendMessages(bench, 'ingest', folder, [plainMessage('read, arrived later', 'x')], ['\\Seen']);
    assert.equal(box.sr(['start', 'poll/unseen']).code, 0);
    await waitFor(() => subjects().length === 1, 15000, 'the mail arrived later');
    assert.deepEqual(subjects(), ['read, arrived later']);
  });

  it('recognises what it announced after the folder is recreated with a new UIDVALIDITY, restored before or after it noticed, with or without INTERNALDATE', async () => {
    const folder = unique();
    const date = new Date('2026-11-01T08:00:00Z');
    const old = [1, 2, 3, 4].map((n) => plainMessage(`kept ${n}`, 'x', { 'Message-ID': `<kept-${n}-${folder}@example.org>` }));
    await appendMessages(bench, 'ingest', folder, old, [], date);
    pollConfig('recreated', [`pollUrl ${imaps()}`, `folder ${folder}`]);
    assert.equal(box.sr(['start', 'poll/recreated']).code, 0);
    await waitFor(() => received.length === 4, 15000, 'the first four');
    assert.equal(box.sr(['stop', 'poll/recreated']).code, 0);
    await deleteFolder(bench, 'ingest', folder);
    await appendMessages(bench, 'ingest', folder, [old[2]!, plainMessage('really new', 'x')], [], date);
    assert.equal(box.sr(['start', 'poll/recreated']).code, 0);
    await waitFor(() => received.length >= 5, 15000, 'the new one');
    // The restore goes on after the poll noticed the change, and keeps no INTERNALDATE.
    await appendMessages(bench, 'ingest', folder, [old[0]!, old[1]!, plainMessage('newer still', 'x'), old[3]!]);
    await waitFor(() => received.length >= 6, 15000, 'the newer one');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.deepEqual(received.slice(4).map((n) => n.mail?.subject), ['really new', 'newer still']);
    assert.match(log('recreated'), /UIDVALIDITY changed from \d+ to \d+/);
  });

  it('goes through a large folder in batches, one pass straight after another, with a progress line per pass', async () => {
    const folder = unique();
    await appendMessages(bench, 'ingest', folder, Array.from({ length: 25 }, (_, i) => plainMessage(`bulk ${i}`, 'x')));
    // The schedule is far away: the passes that finish the backlog must not wait for it.
    pollConfig('bulk', [`pollUrl ${imaps()}`, `folder ${folder}`, 'batch 10', 'sleep 10m']);
    assert.equal(box.sr(['start', 'poll/bulk']).code, 0);
    await waitFor(() => received.length === 25, 20000, 'all 25 (the next scheduled pass is 10 minutes away)');
    const text = log('bulk');
    assert.match(text, new RegExp(`${folder}: 10 announced, 15 remaining`));
    assert.match(text, new RegExp(`${folder}: 10 announced, 5 remaining`));
    assert.match(text, new RegExp(`${folder}: 5 announced, 0 remaining`));
    assert.equal(new Set(relPaths()).size, 25);
  });

  it('announces mail as it arrives with idle on, long before the next scheduled pass', async () => {
    const folders = [unique(), unique()];
    for (const folder of folders) await appendMessages(bench, 'ingest', folder, [plainMessage(`before ${folder}`, 'x')]);
    box.writeConfig('poll/idle.conf', ['callback poll.mail', `tlsCa ${bench.dovecot.caCert}`, 'idle on', 'sleep 10m', `pollUrl ${imaps()}`,
      ...folders.map((folder) => `folder ${folder}`)].join('\n'));
    assert.equal(box.sr(['start', 'poll/idle']).code, 0);
    await waitFor(() => received.length === 2, 15000, 'the first pass');
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the IDLE connections log in
    for (const [index, folder] of folders.entries()) {
      await appendMessages(bench, 'ingest', folder, [plainMessage(`arrived ${index}`, 'x')]);
      await waitFor(() => received.length === 3 + index, 10000, `the message arriving in ${folder} (the next scheduled pass is 10 minutes away)`);
    }
    assert.deepEqual(received.slice(2).map((n) => n.mail?.subject), ['arrived 0', 'arrived 1']);
  });

  it('polls several mailboxes with their own cursors; one failing does not stop the others', async () => {
    const folder = unique();
    await appendMessages(bench, 'ingest', folder, [plainMessage('for ingest', 'x')]);
    await appendMessages(bench, 'clerk', folder, [plainMessage('for clerk', 'x'), plainMessage('for clerk 2', 'x')]);
    box.writeConfig('credentials.conf', [
      `imaps://ingest:ingest-secret@127.0.0.1:${bench.dovecot.ports.imaps}/`,
      `imaps://clerk:${encodeURIComponent('p@ss/w#rd%20?')}@127.0.0.1:${bench.dovecot.ports.imaps}/`,
      `imaps://nobody:wrong-password@127.0.0.1:${bench.dovecot.ports.imaps}/`,
    ].join('\n'));
    pollConfig('many', [`pollUrl ${imaps('nobody')}`, `pollUrl ${imaps()}`, `pollUrl ${imaps('clerk')}`, `folder ${folder}`]);
    assert.equal(box.sr(['start', 'poll/many']).code, 0);
    await waitFor(() => received.length === 3, 20000, 'three announcements from two mailboxes');
    assert.deepEqual(received.map((n) => n.baseUrl).sort(), [imaps('clerk'), imaps('clerk'), imaps()]);
    const text = log('many');
    assert.match(text, /imaps:\/\/nobody@127.0.0.1:\d+\/: login refused for nobody@127.0.0.1.* \(the password of credentials.conf line 3\)/);
    assert.equal(text.match(/login refused for nobody/g)?.length, 1, 'logged once, not once per try');
    assert.doesNotMatch(text, /wrong-password|ingest-secret|p@ss/);
    // sr status never says all is well while a mailbox fails: the config needs attention, exit 1.
    await waitFor(() => box.sr(['status', 'poll/many']).code === 1, 10000, 'sr status to say the config fails');
    const status = box.sr(['status', 'poll/many']);
    assert.match(status.stdout, /^poll\/many +failing +1\/1/m);
    assert.match(status.stdout, /^poll\/many: imaps:\/\/nobody@127.0.0.1:\d+\/ failing since .* ago: login refused for nobody.*; next try in /m);
    const json = JSON.parse(box.sr(['status', '--json', 'poll/many']).stdout) as Array<{ state: string; mailboxes: Array<{ account: string; state: string; cause?: string }> }>;
    assert.equal(json[0]!.state, 'failing');
    assert.deepEqual(json[0]!.mailboxes.map((m) => [m.account, m.state]).sort(), [[imaps('clerk'), 'ok'], [imaps('nobody'), 'failing'], [imaps(), 'ok']].sort());
    assert.doesNotMatch(status.stdout, /wrong-password/);
  });
});

describe('a poll whose server is down', () => {
  it('is retrying, with the next try, while the trouble may pass (exit 0), not running', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve())); // nothing listens there now: connection refused
    box.writeConfig('credentials.conf', `imaps://ingest:ingest-secret@127.0.0.1:${port}/\n`);
    pollConfig('down', [`pollUrl imaps://ingest@127.0.0.1:${port}/`]);
    assert.equal(box.sr(['start', 'poll/down']).code, 0);
    await waitFor(() => /retrying/.test(box.sr(['status', 'poll/down']).stdout), 10000, 'sr status to say the mailbox is retrying');
    const status = box.sr(['status', 'poll/down']);
    assert.equal(status.code, 0, 'trouble that may pass is not yet a failure');
    assert.match(status.stdout, /^poll\/down +retrying +1\/1/m);
    assert.match(status.stdout, new RegExp(`^poll/down: imaps://ingest@127.0.0.1:${port}/ retrying since .* ago: connection refused by 127.0.0.1:${port}.*; next try in `, 'm'));
  });
});

describe('a poll on a silent server', () => {
  for (const scheme of ['imap', 'pop'] as const) {
    it(`stops within seconds of sr stop while it waits for a ${scheme === 'imap' ? 'IMAP' : 'POP3'} greeting that never comes`, async () => {
      const sockets: net.Socket[] = [];
      const server = net.createServer((socket) => { sockets.push(socket); }); // accepts, says nothing
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as net.AddressInfo).port;
      try {
        box.writeConfig('credentials.conf', `${scheme}://ingest:ingest-secret@127.0.0.1:${port}/\n`);
        pollConfig('silent', [`pollUrl ${scheme}://ingest@127.0.0.1:${port}/`, 'timeout 5m', 'stop_timeout 20s']);
        assert.equal(box.sr(['start', 'poll/silent']).code, 0);
        await waitFor(() => sockets.length > 0, 10000, 'the poll connected');
        const stopped = box.sr(['stop', 'poll/silent']);
        assert.equal(stopped.code, 0, stopped.stderr);
        assert.doesNotMatch(stopped.stdout, /SIGKILL/, 'stopped on SIGTERM, not killed after stop_timeout');
      } finally {
        for (const socket of sockets) socket.destroy();
        server.close();
      }
    });
  }
});

describe('the POP3 poll', () => {
  beforeEach(async () => emptyFolder(bench, 'postal', 'INBOX'));

  it('with firstPass new, announces none of what is there at first, and all that comes after, even an empty mailbox\'s first mail', async () => {
    const url = `pops://postal@127.0.0.1:${bench.dovecot.ports.pop3s}/`;
    box.writeConfig('credentials.conf', `pops://postal:postal-secret@127.0.0.1:${bench.dovecot.ports.pop3s}/\n`);
    await appendMessages(bench, 'postal', 'INBOX', [plainMessage('there before', 'x')]);
    pollConfig('pop', [`pollUrl ${url}`, 'firstPass new']);
    assert.equal(box.sr(['start', 'poll/pop']).code, 0);
    await waitFor(() => log('pop').includes('first pass (firstPass new)'), 15000, 'the first pass');
    await appendMessages(bench, 'postal', 'INBOX', [plainMessage('came after', 'x')]);
    await waitFor(() => received.length === 1, 15000, 'the new one');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.deepEqual(received.map((n) => n.mail?.subject), ['came after']);
  });

  for (const [scheme, port] of [['pops', () => bench.dovecot.ports.pop3s], ['pop', () => bench.dovecot.ports.pop3]] as const) {
    it(`announces each new message once by UIDL over ${scheme}://, leaving the mailbox as it is, across a restart`, async () => {
      const url = `${scheme}://postal@127.0.0.1:${port()}/`;
      box.writeConfig('credentials.conf', `${scheme}://postal:postal-secret@127.0.0.1:${port()}/\n`);
      await appendMessages(bench, 'postal', 'INBOX', [
        plainMessage('=?utf-8?q?Facture_n=C2=B0_42?=', 'x', { 'Message-ID': '<pop-1@example.org>' }), plainMessage('second', 'x'),
      ]);
      pollConfig('pop', [`pollUrl ${url}`]);
      assert.equal(box.sr(['start', 'poll/pop']).code, 0);
      await waitFor(() => received.length === 2, 15000, 'two announcements');
      const first = received.find((n) => n.mail?.messageId === '<pop-1@example.org>')!;
      assert.equal(first.baseUrl, url);
      assert.match(first.relPath, /^[^/]+\.eml$/);
      assert.equal(first.relPath, `${String(first.mail?.uidl)}.eml`);
      assert.equal(first.mail?.subject, 'Facture n° 42', 'RFC 2047 decoded');
      assert.ok(Number(first.size) > 0);
      assert.equal(box.sr(['stop', 'poll/pop']).code, 0);
      await appendMessages(bench, 'postal', 'INBOX', [plainMessage('third', 'x')]);
      assert.equal(box.sr(['start', 'poll/pop']).code, 0);
      await waitFor(() => received.length >= 3, 15000, 'the third');
      await new Promise((resolve) => setTimeout(resolve, 2500));
      assert.deepEqual(received.map((n) => n.mail?.subject).sort(), ['Facture n° 42', 'second', 'third']);
      assert.equal((await listMessages(bench, 'postal', 'INBOX')).length, 3, 'nothing deleted on the server');
    });
  }
});

describe('poll config errors', () => {
  it('are reported with file and line before anything starts', () => {
    box.writeConfig('poll/bad.conf', ['callback poll.mail', 'pollUrl imaps://ingest@127.0.0.1/', 'mailSearch UNSEEN SINCE yesterday', 'schedule 0 0 0 31 2 *'].join('\n'));
    const started = box.sr(['start', 'poll/bad']);
    assert.equal(started.code, 1);
    assert.match(started.stderr, /^poll\/bad.conf:3: "mailSearch" "yesterday" is not an IMAP date such as 1-Nov-2026$/m);
    assert.match(started.stderr, /^poll\/bad.conf:4: "schedule" "0 0 0 31 2 \*" can never fire$/m);
    box.writeConfig('poll/none.conf', 'callback poll.mail\n');
    assert.match(box.sr(['start', 'poll/none']).stderr, /a poll needs a pollUrl/);
    const all = box.sr(['start', 'poll/bad', 'poll/none']);
    assert.match(all.stderr, /poll\/bad.conf:3:[\s\S]*a poll needs a pollUrl/, 'every config\'s problems at once');
    box.writeConfig('poll/nouser.conf', 'pollUrl imaps://mail.example.com/\n');
    assert.match(box.sr(['start', 'poll/nouser']).stderr, /^poll\/nouser.conf:1: imaps:\/\/mail.example.com\/: a mailbox URL needs a user/m);
    box.writeConfig('poll/nopassword.conf', 'pollUrl imaps://someone@mail.example.com/\n');
    const refused = box.sr(['start', 'poll/nopassword']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /no password for imaps:\/\/someone@mail.example.com:993\/ in credentials.conf: add a line imaps:\/\/someone:PASSWORD@mail.example.com:993\//);
    assert.ok(!fs.existsSync(path.join(box.cacheDir, 'poll', 'nopassword')), 'nothing started');
  });
});
