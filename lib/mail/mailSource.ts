// What a subscribe asks of a mailbox, whatever its protocol: the message a notification
// names, streamed, checked to be the one announced; then the action that tidies it away.
// IMAP (imap/imapSource.ts) and POP3 (pop3/pop3Source.ts) implement it; each keeps one
// connection, reused across messages and opened again after an error.
import type { Writable } from 'node:stream';
import type { MailAccount } from './account.js';

/** Where a notification says the message is: IMAP folder, UIDVALIDITY and UID, or a POP3 UIDL. */
export type MessageCoordinates =
  | { readonly protocol: 'imap'; readonly folder: string; readonly uidValidity: number; readonly uid: number }
  | { readonly protocol: 'pop3'; readonly uidl: string };

/** `<account> INBOX UID 42` or `<account> UIDL abc`: the message as logs and errors name it. */
export function describeCoordinates(account: MailAccount, at: MessageCoordinates): string {
  return at.protocol === 'imap' ? `${account.label} ${at.folder} UID ${at.uid}` : `${account.label} UIDL ${at.uidl}`;
}

/** What the notification says of the message (its `mail` fields and `size`). */
export interface ExpectedMessage {
  readonly messageId?: string;
  readonly size?: number;
}

/** The coordinates name no message any more (deleted, moved, or the folder recreated). */
export class MessageGone extends Error {}
/** The coordinates name a message other than the one announced. */
export class MessageMismatch extends Error {}

export type MailAction =
  | { readonly kind: 'none' }
  | { readonly kind: 'seen' }
  | { readonly kind: 'flag'; readonly keyword: string }
  | { readonly kind: 'move'; readonly folder: string }
  | { readonly kind: 'delete' };

export class MailActionError extends Error {}

/** `none`, `seen`, `flag <keyword>`, `move <folder>` or `delete`, as written in mailAction. */
export function parseMailAction(text: string): MailAction {
  const [word = '', ...rest] = text.trim().split(' ');
  const argument = rest.join(' ').trim();
  switch (word) {
    case 'none': case 'seen': case 'delete':
      if (argument !== '') throw new MailActionError(`"${word}" takes nothing after it, got "${argument}"`);
      return { kind: word };
    case 'flag':
      if (!/^\$?[A-Za-z0-9_.-]+$/.test(argument)) throw new MailActionError(`"flag" needs an IMAP keyword such as $Processed (letters, digits, _ . -), got "${argument}"`);
      return { kind: 'flag', keyword: argument };
    case 'move':
      if (argument === '') throw new MailActionError('"move" needs a folder, e.g. mailAction move EZGED_OK');
      return { kind: 'move', folder: argument };
    default:
      throw new MailActionError(`needs none, seen, flag <keyword>, move <folder> or delete, got "${text}"`);
  }
}

/** The action as mailAction would say it: parseMailAction's inverse. */
export function mailActionWords(action: MailAction): string {
  if (action.kind === 'flag') return `flag ${action.keyword}`;
  if (action.kind === 'move') return `move ${action.folder}`;
  return action.kind;
}

export interface MailSource {
  readonly account: MailAccount;
  /** Streams the message into `sink`, which it ends; returns the size in octets. */
  download(at: MessageCoordinates, expected: ExpectedMessage, sink: Writable): Promise<number>;
  /** Applies the action to messages of this account; one already gone counts as done. */
  apply(action: MailAction, messages: readonly MessageCoordinates[]): Promise<void>;
  close(): Promise<void>;
  /** Drops the connection at once, failing what is in progress on it: a stop that cannot wait on a silent server. */
  abort(): void;
}

/** Runs one operation at a time on a connection shared by messages in flight. */
export class Serial {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.last.then(work, work);
    this.last = next.catch(() => undefined);
    return next;
  }
}

/** The size downloaded must be the size announced. */
export function checkSize(where: string, expected: ExpectedMessage, octets: number): void {
  if (expected.size !== undefined && octets !== expected.size) {
    throw new MessageMismatch(`${where}: ${octets} bytes downloaded, ${expected.size} announced`);
  }
}

export function checkMessageId(where: string, expected: ExpectedMessage, found: string | undefined): void {
  if (expected.messageId && found !== expected.messageId) {
    throw new MessageMismatch(`${where} is ${found ?? 'a message without Message-ID'}, not ${expected.messageId} as announced`);
  }
}
