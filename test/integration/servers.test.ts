// Beyond Dovecot: the integration cases that differ between server families, run through
// `sr start` against Cyrus ("." and "/" hierarchies) and Courier, and the UIDVALIDITY case
// against Dovecot too. Each family's folders live where its NAMESPACE says (INBOX.x on
// Cyrus and Courier): the configs name them bare, as users do, and mailpump resolves them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { type Bench, getBench, restartServer } from '../bench/bench.js';
import { appendMessages, deleteFolder, emptyFolder, listMessages } from '../bench/mailbox.js';
import { folderOn, type MailServerInfo } from '../bench/mailServer.js';
import { baseName, sha256Of, walk } from '../helpers/files.js';
import { corpusMessage, type CorpusMessage } from '../helpers/mailCorpus.js';
import { Sandbox } from '../helpers/sandbox.js';

let bench: Bench;
let box: Sandbox;
before(async () => { bench = await getBench(); });
beforeEach(() => { box = new Sandbox(); });
afterEach(() => box.cleanup());

const unique = () => `mp${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
type Scheme = 'imap' | 'imaps' | 'pop' | 'pops';
const PORT_OF = { imap: 'imap', imaps: 'imaps', pop: 'pop3', pops: 'pop3s' } as const;

/** A poll and a subscribe of one name on the local broker, for `user` of `server` over `scheme`. */
/** A poll of the mailboxes (`[scheme, user]` each) on the server and a subscribe, started. */
function pair(server: MailServerInfo, mailboxes: ReadonlyArray<readonly [Scheme, string]>, pollLines: readonly string[], subscribeLines: readonly string[]): { files: string } {
  const urls = mailboxes.map(([scheme, user]) => {
    const password = server.users.find((candidate) => candidate.name === user)!.password;
    const at = `127.0.0.1:${server.ports[PORT_OF[scheme]]}/`;
    return { url: `${scheme}://${user}@${at}`, credential: `${scheme}://${user}:${encodeURIComponent(password)}@${at}` };
  });
  box.writeConfig('credentials.conf', urls.map(({ credential }) => `${credential}\n`).join(''));
  const common = [`tlsCa ${server.caCert}`, 'metrics_writeInterval 1s'];
  const files = path.join(box.home, 'files');
  box.writeConfig('poll/mail.conf', ['callback poll.mail', ...common, 'sleep 1s', ...urls.map(({ url }) => `pollUrl ${url}`), ...pollLines].join('\n'));
  box.writeConfig('subscribe/mail.conf', ['callback download.mail_ingest', ...common, `directory ${files}`, 'logEvents +nodupe', ...subscribeLines].join('\n'));
  const started = box.sr(['start']);
  assert.equal(started.code, 0, started.stdout + started.stderr);
  return { files };
}

/** The attachments written, as sorted `name sha256` lines (sidecars and staging left out). */
function written(files: string): string[] {
  return walk(files).filter((file) => !path.basename(file).startsWith('.') && !file.startsWith('.'))
    .map((file) => `${baseName(path.basename(file))} ${sha256Of(path.join(files, file))}`).sort();
}

function expected(messages: readonly CorpusMessage[]): string[] {
  return messages.flatMap((message) => message.files.map((file) => `${file.name} ${file.sha256}`)).sort();
}

function logOf(component: 'poll' | 'subscribe'): string {
  const file = path.join(box.cacheDir, 'log', `${component}_mail_01.log`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

/** Errors in either log, shown when a wait times out. */
const errors = () => [...logOf('poll').split('\n'), ...logOf('subscribe').split('\n')].filter((line) => line.includes('[ERROR]')).slice(-5).join('\n');

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last errors:\n${errors()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const corpus = (tag: string, indices: readonly number[]) => indices.map((index) => corpusMessage(index, tag, 1500));

/** Neither log may say the password was refused, nor show a raw imapflow "Command failed" without the server's words. */
function assertCleanLogs(): void {
  for (const component of ['poll', 'subscribe'] as const) {
    const text = logOf(component);
    assert.doesNotMatch(text, /login (refused|failed)/, `${component}: no login refused`);
    assert.doesNotMatch(text, /Command failed(?!: the server said)/, `${component}: the server's words with each refusal`);
  }
}

const others = () => bench.servers.filter((server) => server.family !== 'dovecot');

describe('other server families', () => {
  for (const family of ['cyrus', 'cyrus-slash', 'courier'] as const) {
    const server = () => others().find((candidate) => candidate.family === family)!;

    it(`${family}: imap:// with STARTTLS, folderRecursive over subfolders with spaces and non-ASCII names, mailAction move into a folder that exists`, async () => {
      const run = unique();
      const folders = [folderOn(server(), run), folderOn(server(), run, 'sous dossier'), folderOn(server(), run, 'été 2026')];
      const messages = corpus(run, [2, 3, 4, 5, 9, 10, 11, 12]);
      for (const [index, folder] of folders.entries()) await appendMessages(server(), 'ingest', folder, messages.filter((_, at) => at % 3 === index).map((m) => m.raw));
      await appendMessages(server(), 'ingest', folderOn(server(), `${run}-done`), []); // exists before the first move
      // Named bare, as in the examples: the server's NAMESPACE puts them under INBOX.
      const { files } = pair(server(), [['imap', 'ingest']], [`folder ${run}`, 'folderRecursive on'], [`mailAction move ${run}-done`]);
      await until(async () => (await listMessages(server(), 'ingest', folderOn(server(), `${run}-done`))).length === messages.length, 60000, 'every message moved');
      for (const folder of folders) assert.equal((await listMessages(server(), 'ingest', folder)).length, 0, `${folder} emptied`);
      assert.deepEqual(written(files), expected(messages), 'every attachment once, byte-exact');
      assertCleanLogs();
    });

    it(`${family}: imaps://, mailSearch, mailAction seen and idle on, with a server restart and new mail during the run`, async () => {
      const run = unique();
      const folder = folderOn(server(), run);
      const first = corpus(run, [0, 1, 2, 3, 9]); // 2 and 9 are "Factures"
      await appendMessages(server(), 'ingest', folder, first.map((m) => m.raw));
      const { files } = pair(server(), [['imaps', 'ingest']], [`folder ${run}`, 'mailSearch SUBJECT Factures', 'idle on', 'sleep 10m'], ['mailAction seen']);
      const matching = (messages: readonly CorpusMessage[]) => messages.filter((m) => m.raw.includes('Subject: Factures'));
      await until(() => written(files).length === expected(matching(first)).length, 60000, 'the first matching messages');
      await restartServer(server());
      // New mail while the subscribe's session had the folder selected (and lost it): only
      // IDLE (after the poll's reconnection) announces it, the next pass is 10 minutes away.
      const later = corpus(run, [14, 16, 23]); // 16 and 23 are "Factures"
      await appendMessages(server(), 'ingest', folder, later.map((m) => m.raw));
      const all = [...first, ...later];
      await until(() => written(files).length === expected(matching(all)).length, 90000, 'the new matching messages');
      assert.deepEqual(written(files), expected(matching(all)));
      // A mark cut by the restart is made when its message comes back from the queue: seen in the end, never before its files.
      const seen = async () => new Map((await listMessages(server(), 'ingest', folder)).map((m) => [m.messageId, m.flags.includes('\\Seen')]));
      await until(async () => { const flags = await seen(); return matching(all).every((m) => flags.get(m.messageId)); }, 60000, 'every matching message marked \\Seen');
      const flags = await seen();
      for (const message of all) assert.equal(flags.get(message.messageId), matching([message]).length === 1, `${message.messageId}: \\Seen only when it matched`);
      assertCleanLogs();
    });
  }

  // POP3 where the server enforces LOGIN-DELAY: pop:// and pops:// at once, each on its own
  // user (the turns are kept per account), so that their waits overlap.
  // Cyrus's hierarchy separator changes nothing in POP3: its POP3 runs on the "." Cyrus only.
  for (const family of ['cyrus', 'courier'] as const) {
    it(`${family}: pop:// and pops:// with mailAction delete, the poll and the subscribe logging in in turn as the server's LOGIN-DELAY asks`, async () => {
      const server = others().find((candidate) => candidate.family === family)!;
      const run = unique();
      // Each login on Cyrus costs a minute (LOGIN-DELAY 60): one message in each mailbox, the poll's login then the subscribe's.
      const cyrus = family === 'cyrus';
      const mailboxes = [['pop', 'clerk'], ['pops', 'postal']] as const;
      const messages = new Map(mailboxes.map(([, user], index) => [user, corpus(`${run}-${user}`, cyrus ? [2 + index] : [2 + index, 4 + index, 6 + index])]));
      for (const [user, mail] of messages) {
        await emptyFolder(server, user, 'INBOX'); // POP3 reads INBOX only: what an earlier test left there goes
        await appendMessages(server, user, 'INBOX', mail.map((m) => m.raw));
      }
      const { files } = pair(server, mailboxes, [], ['mailAction delete']);
      // Cyrus wants a minute between logins: the subscribe's comes a minute after the poll's.
      for (const [, user] of mailboxes) await until(async () => (await listMessages(server, user, 'INBOX')).length === 0, 150000, `every message of ${user} deleted`);
      assert.deepEqual(written(files), expected([...messages.values()].flat()));
      assertCleanLogs();
      if (cyrus) assert.match(logOf('subscribe'), /LOGIN-DELAY\): waiting \d+ s/, 'the wait is said');
    });
  }
});

describe('a recreated folder, on every family', () => {
  for (const family of ['dovecot', 'cyrus', 'cyrus-slash', 'courier'] as const) {
    it(`${family}: mail of the recreated folder is ingested and flagged, the restored mail is not announced again (before or after the change is seen, without INTERNALDATE)`, async () => {
      const server = bench.servers.find((candidate) => candidate.family === family)!;
      const run = unique();
      const folder = folderOn(server, run);
      const [old0, old1, old2, fresh1, fresh2] = corpus(run, [2, 3, 4, 5, 9]);
      await appendMessages(server, 'ingest', folder, [old0!.raw, old1!.raw, old2!.raw], [], new Date('2026-11-01T08:00:00Z'));
      const { files } = pair(server, [['imaps', 'ingest']], [`folder ${run}`], ['mailAction flag $Ingested']);
      await until(() => written(files).length === expected([old0!, old1!, old2!]).length, 60000, 'the first messages');
      // The subscribe still has the folder selected when it is deleted and created again.
      await deleteFolder(server, 'ingest', folder);
      await appendMessages(server, 'ingest', folder, [old0!.raw, fresh1!.raw]);
      await until(() => written(files).length === expected([old0!, old1!, old2!, fresh1!]).length, 60000, 'the mail of the recreated folder');
      await appendMessages(server, 'ingest', folder, [old1!.raw, fresh2!.raw, old2!.raw]);
      await until(() => written(files).length === expected([old0!, old1!, old2!, fresh1!, fresh2!]).length, 60000, 'the later mail');
      await new Promise((resolve) => setTimeout(resolve, 3000)); // a repeat would come within a pass or two
      assert.deepEqual(written(files), expected([old0!, old1!, old2!, fresh1!, fresh2!]), 'each attachment once');
      assert.doesNotMatch(logOf('subscribe'), /was ingested before|nothing was written for it/, 'nothing announced twice, nothing dropped');
      assert.match(logOf('poll'), /UIDVALIDITY changed/);
      const flagged = new Map((await listMessages(server, 'ingest', folder)).map((m) => [m.messageId, m.flags.includes('$Ingested')]));
      assert.equal(flagged.get(fresh1!.messageId), true, 'the new mail of the recreated folder flagged');
      assert.equal(flagged.get(fresh2!.messageId), true);
    });
  }
});
