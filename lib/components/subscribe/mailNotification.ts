// What a subscribe reads from a mail notification (design.md "The mail notification"): the
// account (baseUrl), where the message is (folder, UIDVALIDITY and UID, or UIDL), what it is
// expected to be (Message-ID, size), and the key it is remembered by on its server.
import { UserError } from '../../config/errors.js';
import { MAIL_SCHEMES } from '../../config/options.js';
import { type MailAccount, mailAccount } from '../../mail/account.js';
import { describeCoordinates, type ExpectedMessage, type MessageCoordinates } from '../../mail/mailSource.js';
import type { MailFields, Notification } from '../../message.js';

export interface MailMessageRef {
  readonly account: MailAccount;
  readonly at: MessageCoordinates;
  readonly expected: ExpectedMessage;
  readonly mail: MailFields;
  /** `<account label> INBOX UID 42`, for logs */
  readonly where: string;
  /** the message on its server: UIDs mean nothing outside their folder's UIDVALIDITY */
  readonly serverKey: string;
  /** sr reingest: when it was asked; the message is written again though done before */
  readonly reingest?: string;
  /** who claims the file names (writeFiles.ts): a re-ingest is another claimant, so its files take new names by the collision rules */
  readonly claimKey: string;
}

/** The field `sr reingest` puts in the notification it sends: the time it was asked. */
export const REINGEST_FIELD = 'mailpumpReingest';

function withKeys(ref: Omit<MailMessageRef, 'claimKey' | 'reingest'>, notification: Notification): MailMessageRef {
  const reingest = (notification as unknown as Record<string, unknown>)[REINGEST_FIELD];
  if (typeof reingest !== 'string' || reingest === '') return { ...ref, claimKey: ref.serverKey };
  return { ...ref, reingest, claimKey: `${ref.serverKey}|reingest ${reingest}` };
}

/** The notification names no mail message (not from a mail poll, or its `mail` fields are missing). */
export class NotMailNotification extends Error {}

function isUid(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** `mail.uid is missing` or `mail.uid is "x", not a whole number above 0`: what is really wrong. */
function fieldProblem(field: string, value: unknown, wanted: string): string {
  return value === undefined ? `mail.${field} is missing` : `mail.${field} is ${JSON.stringify(value)?.slice(0, 40)}, not ${wanted}`;
}

export function mailMessageRef(notification: Notification): MailMessageRef {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(notification.baseUrl)?.[1]?.toLowerCase();
  if (scheme !== undefined && !(MAIL_SCHEMES as readonly string[]).includes(scheme)) {
    // A file announced by sr3 or another tool on the same exchange: not a broken mail notification.
    throw new NotMailNotification(`${notification.baseUrl}${notification.relPath} is not mail from a mailpump poll: its baseUrl is ${scheme}:, not imap, imaps, pop or pops`);
  }
  let account: MailAccount;
  try {
    account = mailAccount(notification.baseUrl);
  } catch (error) {
    if (error instanceof UserError) throw new NotMailNotification(`baseUrl ${notification.baseUrl} is not a mailbox (${error.message})`);
    throw error;
  }
  const mail = notification.mail ?? {};
  const expected: ExpectedMessage = {
    ...(typeof mail.messageId === 'string' && mail.messageId !== '' ? { messageId: mail.messageId } : {}),
    ...(typeof notification.size === 'number' ? { size: notification.size } : {}),
  };
  if (account.protocol === 'imap') {
    const { folder, uidValidity, uid } = mail;
    const wrong = [
      typeof folder === 'string' && folder !== '' ? undefined : fieldProblem('folder', folder, 'a folder name'),
      isUid(uidValidity) ? undefined : fieldProblem('uidValidity', uidValidity, 'a whole number above 0'),
      isUid(uid) ? undefined : fieldProblem('uid', uid, 'a whole number above 0'),
    ].filter((problem) => problem !== undefined);
    if (wrong.length > 0) throw new NotMailNotification(`${notification.baseUrl}${notification.relPath}: ${wrong.join(', ')}`);
    const at: MessageCoordinates = { protocol: 'imap', folder: folder as string, uidValidity: uidValidity!, uid: uid! };
    return withKeys({ account, expected, mail, at, where: describeCoordinates(account, at), serverKey: `${account.label}|${folder}|${uidValidity}|${uid}` }, notification);
  }
  const { uidl } = mail;
  if (typeof uidl !== 'string' || uidl === '') throw new NotMailNotification(`${notification.baseUrl}${notification.relPath}: ${fieldProblem('uidl', uidl, 'a UIDL')}`);
  const at: MessageCoordinates = { protocol: 'pop3', uidl };
  return withKeys({ account, expected, mail, at, where: describeCoordinates(account, at), serverKey: `${account.label}|uidl|${uidl}` }, notification);
}
