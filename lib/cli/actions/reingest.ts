// sr reingest <subscribe> <message URL> | <mailbox URL> <Message-ID>: sends one message
// through a subscribe again on purpose. The message is found on its IMAP server (the URL
// the logs show, `imaps://ingest@host:993/INBOX/42.eml`, or a Message-ID searched in every
// folder of the mailbox), announced straight into the subscribe's own queue as its poll
// would, marked as a re-ingest: the subscribe writes its files again, under new names where
// the old ones are taken (the collision rules), and says so in its log.
import path from 'node:path';
import { openBroker } from '../../broker/open.js';
import { keptQueueName } from '../../broker/topology.js';
import { imapNotification } from '../../components/poll/notification.js';
import { mailMessageRef, REINGEST_FIELD } from '../../components/subscribe/mailNotification.js';
import { UserError } from '../../config/errors.js';
import type { Config } from '../../config/load.js';
import { stateDir } from '../../config/paths.js';
import { relPathWord } from '../../flow/placement.js';
import { accountSignIn, type MailAccount, mailAccount } from '../../mail/account.js';
import { ImapMailbox, type MessageHeader, type WatchedFolder } from '../../mail/imap/imapMailbox.js';
import { describeMailError, mailErrorPlace } from '../../mail/mailErrors.js';
import { accountTls, tlsSettings } from '../../mail/tls.js';
import { encodeNotification, formatPubTime, type Notification, V03_CONTENT_TYPE } from '../../message.js';
import { SubscribeState } from '../../state/subscribeState.js';
import { type CliContext, loadCredentials, loadSelectionStrict } from '../context.js';

/** What to send again: one UID in one folder, or every message with this Message-ID. */
type Target = { readonly account: MailAccount; readonly levels: readonly string[]; readonly uid: number } | { readonly account: MailAccount; readonly messageId: string };

/** `imaps://u@h:993/INBOX/Invoices/42.eml`: the account, the folder's levels, the UID. */
function parseTarget(what: string, messageId: string | undefined): Target {
  const base = /^([a-z]+:\/\/[^/]+\/)(.*)$/i.exec(what);
  if (!base) throw new UserError(`sr reingest: "${what}" is not a mailbox URL (imaps://user@host/INBOX/42.eml, as the logs show a message)`);
  let account: MailAccount;
  try {
    account = mailAccount(base[1]!);
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`sr reingest: ${error.message}`);
    throw error;
  }
  if (account.protocol !== 'imap') throw new UserError(`sr reingest: ${account.label} is POP3, where a message has no lasting place to name; sr reingest takes IMAP messages (sr quarantine retry sends a POP3 message set aside)`);
  if (messageId !== undefined) return { account, messageId };
  const levels = base[2]!.split('/').filter((level) => level !== '');
  const uid = Number(/^(\d+)(?:\.eml)?$/.exec(levels.pop() ?? '')?.[1]);
  if (levels.length === 0 || !Number.isSafeInteger(uid) || uid <= 0) {
    throw new UserError(`sr reingest: "${what}" names no message: write the folder and the UID, imaps://user@host/INBOX/42.eml, or the mailbox URL and a Message-ID`);
  }
  return { account, levels: levels.map(relPathWord), uid };
}

async function findMessages(mailbox: ImapMailbox, target: Target): Promise<Array<{ folder: WatchedFolder; uidValidity: number; header: MessageHeader }>> {
  const folders = await mailbox.allFolders();
  const inFolders = 'uid' in target ? folders.filter((folder) => folder.levels.join('\u0000') === target.levels.join('\u0000')) : folders;
  if (inFolders.length === 0) throw new UserError(`sr reingest: ${target.account.label} has no folder ${'uid' in target ? target.levels.join('/') : ''} (it has ${folders.map((f) => f.path).join(', ')})`);
  const found: Array<{ folder: WatchedFolder; uidValidity: number; header: MessageHeader }> = [];
  for (const folder of inFolders) {
    const { uidValidity } = await mailbox.status(folder.path);
    const { headers } = 'uid' in target
      ? await mailbox.newMessages(folder.path, target.uid - 1, undefined, 1, target.uid)
      : await mailbox.newMessages(folder.path, 0, { header: { 'message-id': target.messageId } }, 100);
    for (const header of headers) {
      if ('messageId' in target && header.messageId !== target.messageId) continue; // SEARCH HEADER matches a substring
      found.push({ folder, uidValidity, header });
    }
  }
  return found;
}

function subscribeConfig(context: CliContext, selector: string): Config {
  const configs = loadSelectionStrict(context, [selector]).filter((config) => config.id.component === 'subscribe');
  if (configs.length !== 1) throw new UserError(`sr reingest: "${selector}" must name one subscribe config (the one that ingests the message)`);
  return configs[0]!;
}

export async function reingestAction(context: CliContext, selector: string, what: string, messageId: string | undefined): Promise<number> {
  const config = subscribeConfig(context, selector);
  const target = parseTarget(what, messageId);
  const credentials = loadCredentials(context);
  const queue = keptQueueName(context.paths, config);
  if (queue === undefined) throw new UserError(`sr reingest: ${config.label} has no queue yet (sr declare ${config.label}, or start it once)`);
  const mailbox = new ImapMailbox({
    account: target.account, ...accountSignIn(target.account, credentials), tls: accountTls(config, tlsSettings(config), credentials.lookup(target.account.url)),
    timeoutMs: config.number('timeout') * 1000,
  });
  let found: Awaited<ReturnType<typeof findMessages>>;
  try {
    await mailbox.connect();
    found = await findMessages(mailbox, target);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`sr reingest: ${describeMailError(error, mailErrorPlace(target.account, credentials))}`);
  } finally {
    await mailbox.close().catch(() => undefined);
  }
  if (found.length === 0) {
    context.err(`sr reingest: ${'uid' in target ? `${target.account.label}${target.levels.join('/')} has no UID ${target.uid}` : `no message with Message-ID ${target.messageId} in ${target.account.label}`}`);
    return 1;
  }
  const asked = formatPubTime(new Date());
  const state = SubscribeState.open(path.join(stateDir(context.paths, config.id), 'subscribe.sqlite'));
  const broker = await openBroker(config.str('broker'), { paths: context.paths, credentials, persistent: false });
  try {
    await broker.ready();
    for (const { folder, uidValidity, header } of found) {
      const notification: Notification = { ...imapNotification(target.account, folder, uidValidity, header), [REINGEST_FIELD]: asked };
      // A failure kept from before would count against it: it is sent as new.
      state.forget(mailMessageRef(notification).serverKey);
      await broker.sendToQueue(queue, encodeNotification(notification), V03_CONTENT_TYPE);
      context.out(`reingest: ${config.label}: ${notification.baseUrl}${notification.relPath} ${header.messageId ?? ''} sent to queue ${queue}; its files are written again, under new names where the old ones are taken`);
    }
  } finally {
    await broker.close();
    state.close();
  }
  return 0;
}
