// Where a message goes that failed `attempts` times for a reason retrying cannot cure (it
// cannot be decoded, it is over maxMessageSize): its raw form and the reason are kept in
// quarantineDirectory for someone to look at, and on the server it is moved to
// quarantineFolder or marked $Quarantined, so that it is neither lost nor tried forever.
import { safeFileName } from '../../decode/safeName.js';
import type { MailAction, MailSource } from '../../mail/mailSource.js';
import { partTag, StagedFile, type Staging, syncDirectory } from '../../output/stagedFile.js';
import type { Notification } from '../../message.js';
import type { MailMessageRef } from './mailNotification.js';

const QUARANTINE_KEYWORD = '$Quarantined';

/** The line of a reason file that holds the notification. */
export const NOTIFICATION_LINE = 'notification: ';

function quarantineAction(folder: string | undefined): MailAction {
  return folder ? { kind: 'move', folder } : { kind: 'flag', keyword: QUARANTINE_KEYWORD };
}

/**
 * Writes `<name>.reason.txt` and, with a source to download it from, `<name>.eml`; returns
 * the reason file. A message too large to ingest is not downloaded here either.
 */
export async function quarantineFiles(directory: string, staging: Staging, ref: MailMessageRef, notification: Notification, reason: string, source: MailSource | undefined): Promise<string> {
  const stem = safeFileName(ref.where.replace(/^[a-z]+:\/\//, ''), 'message');
  const tag = partTag(ref.serverKey, 'quarantine');
  const note = StagedFile.create(directory, `${stem}.reason.txt`, staging);
  let placed: string;
  try {
    // The notification, on one line, is what `sr quarantine retry` sends through again.
    await note.writeAll(Buffer.from(`${ref.where}\nMessage-ID: ${ref.expected.messageId ?? '(none)'}\n${new Date().toISOString()} ${reason.replace(/[\r\n]+/g, ' ')}\n${NOTIFICATION_LINE}${JSON.stringify(notification)}\n`));
    placed = (await note.place(tag)).path;
  } finally {
    note.discard();
  }
  if (source) {
    const raw = StagedFile.create(directory, `${stem}.eml`, staging);
    try {
      await source.download(ref.at, {}, raw.stream);
      await raw.place(tag);
    } catch {
      // no longer downloadable: the reason file says what is known
    } finally {
      raw.discard();
    }
  }
  await syncDirectory(directory);
  return placed;
}

/** The message is tidied on the server; POP3 has no folders nor keywords, so it stays as it is there. */
export async function quarantineOnServer(source: MailSource, ref: MailMessageRef, folder: string | undefined): Promise<void> {
  if (ref.at.protocol !== 'imap') return;
  await source.apply(quarantineAction(folder), [ref.at]);
}
