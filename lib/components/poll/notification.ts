// The notification a poll publishes for one message (design.md "The mail notification").
import type { MailAccount } from '../../mail/account.js';
import type { MessageHeader, WatchedFolder } from '../../mail/imap/imapMailbox.js';
import { formatPubTime, type Notification } from '../../message.js';

/** `INBOX/Invoices/42.eml`: folder levels, then the UID. A `/` inside a level name is escaped. */
export function imapRelPath(folder: WatchedFolder, uid: number): string {
  return [...folder.levels.map((level) => level.replaceAll('%', '%25').replaceAll('/', '%2F')), `${uid}.eml`].join('/');
}

export function imapNotification(account: MailAccount, folder: WatchedFolder, uidValidity: number, header: MessageHeader): Notification {
  return {
    pubTime: formatPubTime(new Date()),
    baseUrl: account.label,
    relPath: imapRelPath(folder, header.uid),
    size: header.size,
    contentType: 'message/rfc822',
    mtime: formatPubTime(header.internalDate),
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
