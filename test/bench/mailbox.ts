// Putting mail into the bench's mailboxes and reading their state back, over IMAP with
// imapflow: what tests of the poll and the subscribe arrange and check.
import fs from 'node:fs';
import { ImapFlow } from 'imapflow';
import { mailAccount } from '../../lib/mail/account.js';
import { Pop3Client } from '../../lib/mail/pop3/pop3Client.js';
import type { Bench } from './bench.js';
import type { MailServerInfo } from './mailServer.js';

/** A bench (its Dovecot) or one of its mail servers. */
export type MailTarget = Bench | MailServerInfo;

function serverOf(target: MailTarget): MailServerInfo {
  return 'dovecot' in target ? target.dovecot : target;
}

export interface StoredMessage {
  readonly uid: number;
  readonly flags: readonly string[];
  readonly size: number;
  readonly messageId: string | undefined;
}

/** An authenticated IMAPS session as `user`, trusting the bench CA. Close it with logout(). */
export async function imapSession(target: MailTarget, user: string): Promise<ImapFlow> {
  const server = serverOf(target);
  const account = server.users.find((candidate) => candidate.name === user);
  if (!account) throw new Error(`no bench user ${user}`);
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: server.ports.imaps,
    secure: true,
    servername: 'localhost',
    tls: { ca: [fs.readFileSync(server.caCert)] },
    auth: { user, pass: account.password },
    logger: false,
    disableCompression: true,
  });
  client.on('error', () => undefined); // a dropped test connection must not end the test process
  await client.connect();
  return client;
}

async function withSession<T>(bench: MailTarget, user: string, work: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = await imapSession(bench, user);
  try {
    return await work(client);
  } finally {
    await client.logout();
  }
}

/** A small RFC 5322 message; `extraHeaders` lets a test set Message-ID, Date... */
export function plainMessage(subject: string, body: string, extraHeaders: Record<string, string> = {}): string {
  const headers = {
    From: 'sender@example.org', To: 'ingest@example.org', Subject: subject,
    Date: new Date('2026-11-01T10:00:00Z').toUTCString(),
    'Message-ID': `<${subject.replace(/\W+/g, '-')}-${Math.random().toString(36).slice(2)}@example.org>`,
    'MIME-Version': '1.0', 'Content-Type': 'text/plain; charset=utf-8', ...extraHeaders,
  };
  return `${Object.entries(headers).map(([name, value]) => `${name}: ${value}`).join('\r\n')}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}\r\n`;
}

/** Appends messages to a folder (created when missing, with its parents); returns their UIDs. */
export async function appendMessages(bench: MailTarget, user: string, folder: string, messages: ReadonlyArray<string | Buffer>, flags: string[] = [], internalDate?: Date): Promise<number[]> {
  return withSession(bench, user, async (client) => {
    const existing = await client.list();
    if (!existing.some((box) => box.path === folder)) await client.mailboxCreate(folder);
    const uids: number[] = [];
    for (const message of messages) {
      const result = await client.append(folder, message, flags, internalDate);
      if (!result || typeof result.uid !== 'number') throw new Error(`APPEND to ${folder} returned no UID`);
      uids.push(result.uid);
    }
    return uids;
  });
}

export async function listMessages(bench: MailTarget, user: string, folder: string): Promise<StoredMessage[]> {
  return withSession(bench, user, async (client) => {
    const lock = await client.getMailboxLock(folder, { readOnly: true });
    try {
      const messages: StoredMessage[] = [];
      if ((client.mailbox && client.mailbox.exists) === 0) return messages;
      for await (const message of client.fetch('1:*', { uid: true, flags: true, size: true, envelope: true })) {
        messages.push({ uid: message.uid, flags: [...(message.flags ?? [])], size: message.size ?? 0, messageId: message.envelope?.messageId });
      }
      return messages;
    } finally {
      lock.release();
    }
  });
}

export async function listFolders(bench: MailTarget, user: string): Promise<string[]> {
  return withSession(bench, user, async (client) => (await client.list()).map((box) => box.path).sort());
}

/** Deletes a folder with its messages (and so gives it a new UIDVALIDITY when recreated). */
export async function deleteFolder(bench: MailTarget, user: string, folder: string): Promise<void> {
  await withSession(bench, user, async (client) => { await client.mailboxDelete(folder); });
}

/** Removes every message of a folder. */
export async function emptyFolder(bench: MailTarget, user: string, folder: string): Promise<void> {
  await withSession(bench, user, async (client) => {
    const lock = await client.getMailboxLock(folder);
    try {
      if (client.mailbox && client.mailbox.exists > 0) await client.messageDelete('1:*');
    } finally {
      lock.release();
    }
  });
}

export async function folderUidValidity(bench: MailTarget, user: string, folder: string): Promise<number> {
  return withSession(bench, user, async (client) => {
    const status = await client.status(folder, { uidValidity: true });
    if (!status) throw new Error(`STATUS ${folder} failed`);
    return Number(status.uidValidity);
  });
}

/** The UIDLs of a POP3 mailbox, in message order. */
export async function popUidls(bench: MailTarget, user: string): Promise<string[]> {
  const server = serverOf(bench);
  const account = server.users.find((candidate) => candidate.name === user);
  if (!account) throw new Error(`no bench user ${user}`);
  const client = await Pop3Client.connect({
    account: mailAccount(`pops://${user}@127.0.0.1:${server.ports.pop3s}/`),
    password: account.password,
    tls: { required: true, verify: true, ca: [fs.readFileSync(server.caCert)] },
    timeoutMs: 30000,
  });
  try {
    return (await client.uidl()).map((entry) => entry.uidl);
  } finally {
    await client.quit();
  }
}
