// Downloading the message a notification names, by its coordinates: IMAP by folder, UID and
// UIDVALIDITY, POP3 by UIDL, checked against the Message-ID and size announced, and streamed
// to a writable, so a message is never held in memory whole. A message that is no longer
// there, or that is not the one announced, is a permanent failure naming both sides.
import { pipeline } from 'node:stream/promises';
import { Transform, type Writable } from 'node:stream';
import type { ImapMailbox } from './imap/imapMailbox.js';
import type { Pop3Client } from './pop3/pop3Client.js';

/** What the notification says of the message (its `mail` fields and `size`). */
export interface ExpectedMessage {
  readonly messageId?: string;
  readonly size?: number;
}

/** The coordinates name no message any more (deleted, moved, or the folder recreated). */
export class MessageGone extends Error {}
/** The coordinates name a message other than the one announced. */
export class MessageMismatch extends Error {}

/** Counts what goes through, to check it against the announced size. */
function counter(): Transform & { octets: number } {
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      counting.octets += chunk.length;
      done(null, chunk);
    },
  }) as Transform & { octets: number };
  counting.octets = 0;
  return counting;
}

function checkMessageId(where: string, expected: ExpectedMessage, found: string | undefined): void {
  if (expected.messageId && found !== expected.messageId) {
    throw new MessageMismatch(`${where} is ${found ?? 'a message without Message-ID'}, not ${expected.messageId} as announced`);
  }
}

function checkSize(where: string, expected: ExpectedMessage, octets: number): void {
  if (expected.size !== undefined && octets !== expected.size) {
    throw new MessageMismatch(`${where}: ${octets} bytes downloaded, ${expected.size} announced`);
  }
}

export async function downloadImap(
  mailbox: ImapMailbox, folder: string, uidValidity: number, uid: number, expected: ExpectedMessage, sink: Writable,
): Promise<number> {
  const where = `${mailbox.account.label} ${folder} UID ${uid}`;
  const counting = counter();
  await mailbox.withFolder(folder, async (client) => {
    const current = client.mailbox ? Number(client.mailbox.uidValidity) : undefined;
    if (current !== uidValidity) throw new MessageGone(`${where}: the folder's UIDVALIDITY is ${current}, the notification's ${uidValidity}: the folder was recreated`);
    const found = await client.fetchOne(String(uid), { uid: true, envelope: true, size: true }, { uid: true });
    if (!found) throw new MessageGone(`${where} is no longer on the server`);
    checkMessageId(where, expected, found.envelope?.messageId);
    const download = await client.download(String(uid), undefined, { uid: true });
    if (!('content' in download) || !download.content) throw new MessageGone(`${where} is no longer on the server`);
    await pipeline(download.content, counting, sink);
  });
  checkSize(where, expected, counting.octets);
  return counting.octets;
}

export async function downloadPop3(client: Pop3Client, label: string, uidl: string, expected: ExpectedMessage, sink: Writable): Promise<number> {
  const where = `${label} UIDL ${uidl}`;
  const entry = (await client.uidl()).find((candidate) => candidate.uidl === uidl);
  if (!entry) throw new MessageGone(`${where} is no longer on the server`);
  const header = (await client.header(entry.number)).toString('latin1');
  checkMessageId(where, expected, /^message-id:[ \t]*(.*(?:\r\n[ \t].*)*)/im.exec(header)?.[1]?.replace(/\r\n[ \t]+/g, ' ').trim());
  const octets = await client.retrieve(entry.number, sink);
  checkSize(where, expected, octets);
  return octets;
}
