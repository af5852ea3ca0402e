// Downloading a message by the coordinates of its notification, on Dovecot: byte for byte,
// streamed, the mailbox untouched, and a wrong or vanished message refused with both sides named.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { mailAccount } from '../../lib/mail/account.js';
import { ImapSource } from '../../lib/mail/imap/imapSource.js';
import { MessageGone, MessageMismatch } from '../../lib/mail/mailSource.js';
import { Pop3Source } from '../../lib/mail/pop3/pop3Source.js';
import type { TlsSettings } from '../../lib/mail/tls.js';
import { type Bench, getBench } from '../bench/bench.js';
import { appendMessages, deleteFolder, emptyFolder, folderUidValidity, listMessages, popUidls } from '../bench/mailbox.js';

let bench: Bench;
let tls: TlsSettings;
before(async () => {
  bench = await getBench();
  tls = { required: true, verify: true, ca: [fs.readFileSync(bench.dovecot.caCert)] };
});

function message(subject: string, body: Buffer | string): { raw: Buffer; messageId: string } {
  const messageId = `<${crypto.randomUUID()}@example.org>`;
  const head = `From: a@example.org\r\nSubject: ${subject}\r\nMessage-ID: ${messageId}\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return { raw: Buffer.concat([Buffer.from(head), Buffer.isBuffer(body) ? body : Buffer.from(body)]), messageId };
}

/** A writable that keeps what it is given, and the size of its largest single write. */
function collector(): { sink: PassThrough; bytes: () => Buffer } {
  const sink = new PassThrough();
  const parts: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => parts.push(chunk));
  return { sink, bytes: () => Buffer.concat(parts) };
}

/** 8-bit lines of a large attachment written unencoded: every byte value but NUL, CR and LF. */
const EIGHT_BIT = Buffer.concat(Array.from({ length: 12000 }, () => Buffer.concat([
  Buffer.from(Array.from({ length: 253 }, (_, i) => i + 1).filter((b) => b !== 10 && b !== 13)), Buffer.from('\r\n'),
])));

describe('download by IMAP coordinates', () => {
  const folder = `dl${Date.now().toString(36)}`;
  let source: ImapSource;
  let uidValidity: number;
  const sent = [message('small', 'hello\r\n'), message('large 8-bit', EIGHT_BIT)];
  let uids: number[];

  before(async () => {
    uids = await appendMessages(bench, 'ingest', folder, sent.map((m) => m.raw));
    source = new ImapSource({ account: mailAccount(`imaps://ingest@127.0.0.1:${bench.dovecot.ports.imaps}/`), password: 'ingest-secret', tls, timeoutMs: 30000 });
    uidValidity = await folderUidValidity(bench, 'ingest', folder);
  });
  after(async () => source.close());
  const at = (uid: number, validity = uidValidity) => ({ protocol: 'imap' as const, folder, uidValidity: validity, uid });

  it('streams each message byte for byte, without marking it \\Seen', async () => {
    for (const [index, { raw, messageId }] of sent.entries()) {
      const { sink, bytes } = collector();
      const octets = await source.download(at(uids[index]!), { messageId, size: raw.length }, sink);
      assert.equal(octets, raw.length);
      assert.ok(bytes().equals(raw), `message ${index + 1} byte for byte`);
    }
    assert.ok(sent[1]!.raw.length > 2 * 2 ** 20, 'the large one is over 2 MiB');
    assert.ok((await listMessages(bench, 'ingest', folder)).every((m) => !m.flags.includes('\\Seen')));
  });

  it('gives each of two downloads of the same message at once its own copy', { timeout: 30000 }, async () => {
    const { raw, messageId } = sent[0]!;
    const [first, second] = [collector(), collector()];
    // Both ask before the batch is sent: they share one UID FETCH.
    await Promise.all([first, second].map(({ sink }) => source.download(at(uids[0]!), { messageId, size: raw.length }, sink)));
    assert.ok(first.bytes().equals(raw) && second.bytes().equals(raw));
  });

  it('opens a new connection when the server dropped the one it had', async () => {
    const { raw, messageId } = sent[0]!;
    await source.download(at(uids[0]!), { messageId, size: raw.length }, new PassThrough().resume());
    // The connection goes away under it, as when the server restarts or a firewall cuts it.
    (source as unknown as { client: { close(): void } }).client.close();
    const { sink, bytes } = collector();
    await source.download(at(uids[0]!), { messageId, size: raw.length }, sink);
    assert.ok(bytes().equals(raw));
  });

  it('refuses a message other than the one announced, naming both', async () => {
    await assert.rejects(
      source.download(at(uids[0]!), { messageId: '<someone-else@example.org>' }, new PassThrough()),
      (error: unknown) => error instanceof MessageMismatch && error.message.includes(sent[0]!.messageId) && error.message.includes('<someone-else@example.org>'),
    );
  });

  it('says when the folder was recreated (UIDVALIDITY) or the UID is gone', async () => {
    await assert.rejects(
      source.download(at(uids[0]!, uidValidity + 1), {}, new PassThrough()),
      (error: unknown) => error instanceof MessageGone && error.message.includes(`UIDVALIDITY is ${uidValidity}, the notification's ${uidValidity + 1}`),
    );
    await assert.rejects(
      source.download(at(9999), {}, new PassThrough()),
      (error: unknown) => error instanceof MessageGone && /UID 9999 is no longer on the server/.test(error.message),
    );
  });

  it('finds mail appended while its folder is selected, small or large, instead of calling it gone', async () => {
    // The session has the folder selected (the tests above), and does not see these yet.
    const late = [message('late small', 'late\r\n'), message('late large', EIGHT_BIT)];
    const lateUids = await appendMessages(bench, 'ingest', folder, late.map((m) => m.raw));
    for (const [index, { raw, messageId }] of late.entries()) {
      const { sink, bytes } = collector();
      await source.download(at(lateUids[index]!), { messageId, size: raw.length }, sink);
      assert.ok(bytes().equals(raw), `late message ${index}`);
    }
  });

  it('selects a recreated folder again, and downloads its new mail', async () => {
    const recreated = `${folder}-re`;
    const [first] = await appendMessages(bench, 'ingest', recreated, [sent[0]!.raw]);
    const before = await folderUidValidity(bench, 'ingest', recreated);
    const here = (uid: number, validity: number) => ({ protocol: 'imap' as const, folder: recreated, uidValidity: validity, uid });
    await source.download(here(first!, before), {}, collector().sink); // selected now
    await deleteFolder(bench, 'ingest', recreated);
    const fresh = message('after recreation', 'new\r\n');
    const [uid] = await appendMessages(bench, 'ingest', recreated, [fresh.raw]);
    const after = await folderUidValidity(bench, 'ingest', recreated);
    assert.notEqual(after, before);
    const { sink, bytes } = collector();
    await source.download(here(uid!, after), { messageId: fresh.messageId, size: fresh.raw.length }, sink);
    assert.ok(bytes().equals(fresh.raw), 'the new mail of the recreated folder');
    await assert.rejects(source.download(here(first!, before), {}, new PassThrough()), MessageGone, 'the old UIDVALIDITY names nothing now');
  });
});

describe('download by POP3 UIDL', () => {
  it('streams the message byte for byte, and refuses a missing or different one', async () => {
    await emptyFolder(bench, 'postal', 'INBOX');
    const sent = [message('one', 'first\r\n'), message('two', EIGHT_BIT)];
    await appendMessages(bench, 'postal', 'INBOX', sent.map((m) => m.raw));
    const source = new Pop3Source({ account: mailAccount(`pops://postal@127.0.0.1:${bench.dovecot.ports.pop3s}/`), password: 'postal-secret', tls, timeoutMs: 30000 });
    const list = await popUidls(bench, 'postal');
    const at = (uidl: string) => ({ protocol: 'pop3' as const, uidl });
    try {
      const { sink, bytes } = collector();
      const octets = await source.download(at(list[1]!), { messageId: sent[1]!.messageId, size: sent[1]!.raw.length }, sink);
      assert.equal(octets, sent[1]!.raw.length);
      assert.ok(bytes().equals(sent[1]!.raw));
      await assert.rejects(source.download(at('no-such-uidl'), {}, new PassThrough()), MessageGone);
      await assert.rejects(
        source.download(at(list[0]!), { messageId: sent[1]!.messageId }, new PassThrough()),
        (error: unknown) => error instanceof MessageMismatch && error.message.includes(sent[0]!.messageId),
      );
    } finally {
      await source.close();
    }
  });
});
