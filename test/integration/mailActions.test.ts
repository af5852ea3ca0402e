// Mail actions on every server family of the bench, where two sessions act on the same
// messages at once: an instance and another holding a second notification of the same mail,
// or a redelivery while the first holder's command still runs on the server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { before, describe, it } from 'node:test';
import { mailAccount } from '../../lib/mail/account.js';
import { ImapSource } from '../../lib/mail/imap/imapSource.js';
import { type Bench, getBench } from '../bench/bench.js';
import { appendMessages, folderUidValidity, imapSession, listMessages, plainMessage } from '../bench/mailbox.js';
import { folderOn, type MailServerInfo } from '../bench/mailServer.js';

let bench: Bench;
before(async () => { bench = await getBench(); });

const MESSAGES = 100;

function source(server: MailServerInfo, notices: string[]): ImapSource {
  const password = server.users.find((user) => user.name === 'ingest')!.password;
  return new ImapSource({
    account: mailAccount(`imaps://ingest@127.0.0.1:${server.ports.imaps}/`),
    password,
    tls: { required: true, verify: true, ca: [fs.readFileSync(server.caCert)] },
    timeoutMs: 30000,
    onNotice: (line) => notices.push(line),
  });
}

describe('mailAction move by two sessions at once', () => {
  it('leaves one copy of each message in the target folder and none in the source, on every server family', { timeout: 120_000 }, async () => {
    for (const server of bench.servers) {
      const tag = `mv${Date.now().toString(36)}`;
      const folder = folderOn(server, tag);
      const target = folderOn(server, `${tag}-done`);
      const raws = Array.from({ length: MESSAGES }, (_, index) => plainMessage(`${tag} ${index}`, `body ${index}\r\n`, { 'Message-ID': `<${tag}.${index}@example.org>` }));
      const uids = await appendMessages(server, 'ingest', folder, raws);
      const uidValidity = await folderUidValidity(server, 'ingest', folder);
      const coordinates = uids.map((uid) => ({ protocol: 'imap' as const, folder, uidValidity, uid }));
      const session = await imapSession(server, 'ingest');
      await session.mailboxCreate(target);
      await session.logout();
      const notices: string[] = [];
      const sources = [source(server, notices), source(server, notices)];
      try {
        // Both sessions select the folder first, and the target exists, so that their MOVEs meet on the server.
        await Promise.all(sources.map((one) => one.apply({ kind: 'seen' }, coordinates)));
        await Promise.all(sources.map((one) => one.apply({ kind: 'move', folder: target }, coordinates)));
      } finally {
        await Promise.all(sources.map((one) => one.close()));
      }
      assert.equal((await listMessages(server, 'ingest', folder)).length, 0, `${server.family}: nothing left in the source`);
      const moved = await listMessages(server, 'ingest', target);
      assert.equal(new Set(moved.map((message) => message.messageId)).size, MESSAGES, `${server.family}: every message moved`);
      assert.equal(moved.length, MESSAGES, `${server.family}: each once (${notices.join('; ')})`);
    }
  });
});
