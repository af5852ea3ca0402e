// The notification a poll publishes for one message (design.md "The mail notification").
import type { MailAccount } from '../../mail/account.js';
import type { MessageHeader, WatchedFolder } from '../../mail/imap/imapMailbox.js';
import { formatPubTime, type Notification } from '../../message.js';

/** One level of a relPath: a `/` inside a folder name or a UIDL would make a directory, so it is escaped. */
function pathWord(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('/', '%2F');
}

/** `INBOX/Invoices/42.eml`: folder levels, then the UID. */
export function imapRelPath(folder: WatchedFolder, uid: number): string {
  return [...folder.levels.map(pathWord), `${uid}.eml`].join('/');
}

/** `<uidl>.eml`: RFC 1939 allows any of 0x21-0x7E in a UIDL, `/` among them. */
export function pop3RelPath(uidl: string): string {
  return `${pathWord(uidl)}.eml`;
}

export function imapNotification(account: MailAccount, folder: WatchedFolder, uidValidity: number, header: MessageHeader): Notification {
  return {
    pubTime: formatPubTime(new Date()),
    baseUrl: account.label,
    relPath: imapRelPath(folder, header.uid),
    size: header.size,
    contentType: 'message/rfc822',
    ...(header.internalDate ? { mtime: formatPubTime(header.internalDate) } : {}),
    identity: { method: 'cod', value: 'sha512' },
    mail: {
      uidValidity,
      uid: header.uid,
      folder: folder.path,
      ...(header.messageId ? { messageId: header.messageId } : {}),
      ...(header.subject ? { subject: header.subject } : {}),
      ...(header.from ? { from: header.from } : {}),
      ...(header.to ? { to: header.to } : {}),
      ...(header.date ? { date: header.date.toISOString() } : {}),
    },
  };
}
