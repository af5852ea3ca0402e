// What a poll's pollUrl lines name, whatever the kind of source: an IMAP or POP3 mailbox
// (mail/account.ts) or a watched directory (depot/location.ts). The poll announces each
// source under its own topic words, and a subscribe is paired with them (pairing.ts).
import { depotLocation, depotTopic, isDepotUrl } from '../depot/location.js';
import { mailAccount, mailboxTopic } from '../mail/account.js';

/** `mail.example.com.ingest` or `file.srv.depot`: the words after the topic prefix. */
export function pollSourceTopic(url: string): string {
  return isDepotUrl(url) ? depotTopic(depotLocation(url)) : mailboxTopic(mailAccount(url));
}

/** The source's label: the URL without password, as logs and notifications name it. */
export function pollSourceLabel(url: string): string {
  return isDepotUrl(url) ? depotLocation(url).label : mailAccount(url).label;
}
