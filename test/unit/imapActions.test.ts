// Mail actions by the server's capabilities (issue "Real deployments" item 2): UID MOVE
// where the server has MOVE; else COPY, then UID EXPUNGE of those UIDs only (UIDPLUS); and
// never a plain EXPUNGE, which would remove every \Deleted message of the folder. Dovecot
// has both, so a fake session stands in for servers that have less.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mailAccount } from '../../lib/mail/account.js';
import { surplusCopies } from '../../lib/mail/imap/duplicateCopies.js';
import { ImapSource } from '../../lib/mail/imap/imapSource.js';

/** A server's refusal as imapflow reports it: "Command failed", the server's words beside. */
const refusal = (text: string) => Object.assign(new Error('Command failed'), { responseStatus: 'NO', responseText: text });

function sourceWith(capabilities: readonly string[], server: { folders?: string[]; refuseCreate?: string } = {}): { source: ImapSource; calls: string[]; notices: string[] } {
  const calls: string[] = [];
  const notices: string[] = [];
  const folders = new Set(server.folders ?? []);
  const client = {
    usable: true,
    capabilities: new Map(capabilities.map((name) => [name, true])),
    mailbox: { uidValidity: 7n },
    getMailboxLock: async () => ({ release: () => undefined }),
    status: async (folder: string) => {
      calls.push(`STATUS ${folder}`);
      if (!folders.has(folder)) throw Object.assign(new Error(`Mailbox doesn't exist: ${folder}`), { code: 'NotFound' });
      return { path: folder, messages: 0 };
    },
    mailboxCreate: async (folder: string) => {
      calls.push(`CREATE ${folder}`);
      if (server.refuseCreate) throw refusal(server.refuseCreate);
      folders.add(folder);
      return {};
    },
    messageMove: async (uids: string, folder: string) => { calls.push(`UID MOVE ${uids} ${folder}`); return {}; },
    messageCopy: async (uids: string, folder: string) => { calls.push(`UID COPY ${uids} ${folder}`); return {}; },
    messageFlagsAdd: async (uids: string, flags: string[]) => { calls.push(`UID STORE ${uids} +FLAGS ${flags.join(' ')}`); return true; },
    messageDelete: async (uids: string) => { calls.push(`UID STORE ${uids} +FLAGS \\Deleted; UID EXPUNGE ${uids}`); return true; },
  };
  const source = new ImapSource({
    account: mailAccount('imaps://u@h/'), password: 'p', tls: { required: true, verify: true, ca: undefined }, timeoutMs: 1000, onNotice: (line) => notices.push(line),
  });
  Object.assign(source, { client });
  return { source, calls, notices };
}

const at = (uid: number) => ({ protocol: 'imap' as const, folder: 'INBOX', uidValidity: 7, uid });

describe('IMAP mail actions by capability', () => {
  it('move with UID MOVE where the server has MOVE', async () => {
    const { source, calls } = sourceWith(['MOVE', 'UIDPLUS']);
    await source.apply({ kind: 'move', folder: 'Done' }, [at(4), at(5)]);
    await source.apply({ kind: 'move', folder: 'Done' }, [at(6)]);
    assert.deepEqual(calls, ['STATUS Done', 'CREATE Done', 'UID MOVE 4,5 Done', 'UID MOVE 6 Done'], 'created once, when missing');
  });
  it('moves into a folder that exists whatever words the server refuses its CREATE with (Courier)', async () => {
    const { source, calls } = sourceWith(['UIDPLUS'], { folders: ['INBOX.Done'], refuseCreate: 'Cannot create this folder.' });
    await source.apply({ kind: 'move', folder: 'INBOX.Done' }, [at(4)]);
    assert.deepEqual(calls, ['STATUS INBOX.Done', 'UID COPY 4 INBOX.Done', 'UID STORE 4 +FLAGS \\Deleted; UID EXPUNGE 4']);
  });
  it('says what the server answered when a target folder cannot be created', async () => {
    const { source } = sourceWith(['MOVE'], { refuseCreate: 'Invalid mailbox name.' });
    await assert.rejects(source.apply({ kind: 'move', folder: 'Done' }, [at(4)]), /cannot create the folder "Done" for mailAction move: the server said "Invalid mailbox name."/);
  });
  it('without MOVE, copy then expunge those UIDs only (UIDPLUS)', async () => {
    const { source, calls } = sourceWith(['UIDPLUS'], { folders: ['Done'] });
    await source.apply({ kind: 'move', folder: 'Done' }, [at(4)]);
    assert.deepEqual(calls, ['STATUS Done', 'UID COPY 4 Done', 'UID STORE 4 +FLAGS \\Deleted; UID EXPUNGE 4']);
  });
  it('without UIDPLUS, never a plain EXPUNGE: the messages stay marked \\Deleted, said once', async () => {
    const { source, calls, notices } = sourceWith([], { folders: ['Done'] });
    await source.apply({ kind: 'move', folder: 'Done' }, [at(4)]);
    await source.apply({ kind: 'delete' }, [at(6)]);
    assert.deepEqual(calls, ['STATUS Done', 'UID COPY 4 Done', 'UID STORE 4 +FLAGS \\Deleted', 'UID STORE 6 +FLAGS \\Deleted']);
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /no UIDPLUS/);
  });
});

describe('surplus copies of a message moved by two sessions at once', () => {
  const copy = (uid: number, messageId: string | undefined, size = 100, internalDate = '2026-12-01T10:00:00.000Z') => ({ uid, messageId, size, internalDate });
  it('keeps the lowest UID of each set of copies that holds one of ours, whichever made it', () => {
    const found = [copy(3, '<a@x>'), copy(9, '<a@x>'), copy(10, '<b@x>'), copy(4, '<b@x>'), copy(11, '<c@x>')];
    assert.deepEqual(surplusCopies([9, 10, 11], found), [9, 10]);
    assert.deepEqual(surplusCopies([3, 4], found), [9, 10], 'the same answer from the other mover');
  });
  it('takes nothing for a copy that differs in size or arrival, lacks a Message-ID, or holds none of ours', () => {
    const found = [copy(1, '<a@x>', 100), copy(2, '<a@x>', 101), copy(3, '<b@x>', 100, '2026-12-01T10:00:01.000Z'), copy(4, '<b@x>'),
      copy(5, undefined), copy(6, undefined), copy(7, '<d@x>'), copy(8, '<d@x>')];
    assert.deepEqual(surplusCopies([2, 4, 6], found), []);
  });
});
