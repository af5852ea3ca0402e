// Where the files of one job come from, as the decode thread and the notifications need it,
// whatever the source: a mail message (its account, folder and UID or UIDL) or an item of a
// watched directory. Plain data: it crosses to the decode threads as it is.
import type { TemplateFields } from '../../decode/templates.js';
import { relPathWord } from '../../flow/placement.js';
import type { Notification } from '../../message.js';
import type { DepotItemRef } from './depotNotification.js';
import type { MailMessageRef } from './mailNotification.js';

export interface Origin {
  /** who claims the file names (writeFiles.ts) */
  readonly claimKey: string;
  /** `<account> INBOX UID 42` or `file:/srv/depot/x.xml`, for logs and reasons */
  readonly where: string;
  /** the template fields the notification gives; the message's headers fill in what it lacks */
  readonly fields: TemplateFields;
  /** the first fields of each sidecar: where the file came from */
  readonly provenance: Readonly<Record<string, unknown>>;
  /** the field of each downstream notification that traces the file to its source, and its values */
  readonly announced: { readonly field: 'mail' | 'depot'; readonly values: Readonly<Record<string, unknown>> };
  /** saveRaw's name (a message's UID or UIDL); absent when there is no message to keep */
  readonly rawName?: string;
}

/** `${FOLDER}` levels come from the relPath, where the poll wrote the folder's hierarchy. */
function folderLevels(notification: Notification, ref: MailMessageRef): string[] {
  if (ref.at.protocol === 'pop3') return ['INBOX'];
  return notification.relPath.split('/').slice(0, -1).map(relPathWord);
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** Drops the fields that have no value, as TemplateFields wants them. */
function present<T extends object>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as T;
}

export function mailOrigin(notification: Notification, ref: MailMessageRef): Origin {
  const { at, mail } = ref;
  return {
    claimKey: ref.claimKey,
    where: ref.where,
    fields: present({
      folder: at.protocol === 'imap' ? at.folder : 'INBOX',
      folderLevels: folderLevels(notification, ref),
      from: text(mail.from),
      subject: text(mail.subject),
      uid: at.protocol === 'imap' ? at.uid : undefined,
      uidl: at.protocol === 'pop3' ? at.uidl : undefined,
      messageId: ref.expected.messageId,
      account: `${ref.account.user}@${ref.account.host}`,
    }),
    provenance: { account: ref.account.label, ...(at.protocol === 'imap' ? { folder: at.folder, uidValidity: at.uidValidity, uid: at.uid } : { uidl: at.uidl }) },
    announced: { field: 'mail', values: { ...mail, account: ref.account.label } },
    rawName: at.protocol === 'imap' ? String(at.uid) : at.uidl,
  };
}

/** A watched directory's item: `${ACCOUNT}` is the directory, and there is no message to keep raw. */
export function depotOrigin(ref: DepotItemRef): Origin {
  const source = { source: ref.location.label, name: ref.name, entry: ref.entry };
  return {
    claimKey: ref.claimKey,
    where: ref.where,
    fields: { account: ref.location.root },
    provenance: source,
    announced: { field: 'depot', values: source },
  };
}
