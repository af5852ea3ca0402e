// The poll's header FETCH against a server that answers more than it was asked (RFC 3501
// 7.4.2: unsolicited FETCH responses may come at any time): a session that sees another
// one mark messages \Seen gets `* n FETCH (FLAGS (\Seen))` amid the answers. Only answers
// with the UID asked for and every field asked become headers; a UID the server left out
// is asked once more, then reported missing. A fake session stands in for the server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FetchMessageObject } from 'imapflow';
import { mailAccount } from '../../lib/mail/account.js';
import { ImapMailbox } from '../../lib/mail/imap/imapMailbox.js';

const envelope = (uid: number) => ({ messageId: `<m${uid}@x>`, subject: `s${uid}`, date: uid === 3 ? new Date(Number.NaN) : new Date('2026-11-02T08:00:00Z') });

/** A session whose FETCH answers are `answers(uids asked)`. */
function fakeSession(listed: number[], answers: (asked: number[]) => Array<Partial<FetchMessageObject>>) {
  const asked: number[][] = [];
  return {
    asked,
    session: {
      usable: true,
      getMailboxLock: async () => ({ release: () => undefined }),
      mailboxClose: async () => true,
      search: async () => listed,
      async* fetch(range: string) {
        const uids = range.split(',').map(Number);
        asked.push(uids);
        for (const answer of answers(uids)) yield answer;
      },
    },
  };
}

/** A session whose FETCH of UID 2's envelope fails as a parser error would. */
function unreadableSession() {
  return {
    ...fakeSession([1, 2, 3], () => []).session,
    async* fetch(range: string) {
      const uids = range.split(',').map(Number);
      if (uids.includes(2)) throw Object.assign(new Error('Unexpected char at position 42'), { code: 'ParserError11' });
      for (const uid of uids) yield { uid, size: 10, internalDate: new Date(), envelope: envelope(uid) };
    },
    fetchOne: async (uid: string) => ({ uid: Number(uid), size: 777 }),
  };
}

function mailboxWith(session: object): ImapMailbox {
  const mailbox = new ImapMailbox({ account: mailAccount('imaps://u@h/'), password: 'p', tls: { required: true, verify: true, ca: undefined }, timeoutMs: 1000 });
  Object.assign(mailbox, { client: session });
  return mailbox;
}

describe('the poll\'s header FETCH', () => {
  it('makes headers only of answers with the UID asked and every field, whatever else the server sends', async () => {
    const { session } = fakeSession([1, 2, 3], (uids) => [
      { seq: 7, flags: new Set(['\\Seen']) }, // unsolicited: no UID
      ...uids.map((uid) => ({ uid, size: 100 + uid, internalDate: new Date('2026-11-02T08:00:00Z'), envelope: envelope(uid) })),
      { uid: 99, seq: 9, flags: new Set(['\\Seen']) }, // a UID not asked for
      { uid: 2, flags: new Set(['\\Seen']) }, // the same UID again, flags only
    ] as Array<Partial<FetchMessageObject>>);
    const found = await mailboxWith(session).newMessages('INBOX', 0, undefined, 10);
    assert.deepEqual(found.headers.map((header) => [header.uid, header.size, header.messageId]), [[1, 101, '<m1@x>'], [2, 102, '<m2@x>'], [3, 103, '<m3@x>']]);
    assert.deepEqual(found.missing, []);
    assert.equal(found.headers[2]!.date, undefined, 'a Date that is no date is left out...');
    assert.match(found.headers[2]!.problems.join(), /Date/, '...and said');
  });

  it('asks once more for a UID the server listed but did not answer, then says it is missing', async () => {
    const { session, asked } = fakeSession([1, 2, 3], (uids) => uids.filter((uid) => uid !== 2)
      .map((uid) => ({ uid, size: 10, internalDate: new Date(), envelope: envelope(uid) })) as Array<Partial<FetchMessageObject>>);
    const found = await mailboxWith(session).newMessages('INBOX', 0, undefined, 10);
    assert.deepEqual(found.headers.map((header) => header.uid), [1, 3]);
    assert.deepEqual(found.missing, [2]);
    assert.deepEqual(asked, [[1, 2, 3], [2]]);
  });

  it('asks one UID at a time when the client cannot read an answer, and announces the unreadable one by UID and size', async () => {
    const found = await mailboxWith(unreadableSession()).newMessages('INBOX', 0, undefined, 10);
    assert.deepEqual(found.headers.map((header) => [header.uid, header.size]), [[1, 10], [2, 777], [3, 10]]);
    assert.match(found.headers[1]!.problems.join(), /envelope could not be read \(Unexpected char/);
    assert.deepEqual(found.missing, []);
  });
});
