// One IMAP account of a poll: per pass, for each watched folder, a STATUS tells whether
// anything is new (one round trip for an unchanged folder, whatever its size); new UIDs
// above the cursor are announced in UID order, at most `batch` per folder per pass, and
// the cursor moves past each message only once the broker has confirmed its notification.
import type { AccountSignIn, MailAccount } from '../../mail/account.js';
import { IdleWatcher } from '../../mail/imap/idleWatcher.js';
import { type ImapConnectionSettings, ImapMailbox, type MessageHeader, type WatchedFolder } from '../../mail/imap/imapMailbox.js';
import type { TlsSettings } from '../../mail/tls.js';
import type { Notification } from '../../message.js';
import { messageIdentity } from '../../state/pollState.js';
import { acceptedNotification, announceInOrder } from './announce.js';
import { describeFirstPass, firstPassOf, firstPassSearch } from './firstPass.js';
import type { MailboxPoll, PassResult, PollContext } from './mailboxPoll.js';
import { imapNotification } from './notification.js';

/** Passes in a row a listed UID may come without its header before it is passed over. */
const MAX_MISSES = 3;

interface Step {
  readonly header: MessageHeader;
  readonly identity: string;
  /** undefined: recorded without announcing (rejected, or announced before a UIDVALIDITY change) */
  readonly notification: Notification | undefined;
}

export class ImapPoll implements MailboxPoll {
  readonly label: string;
  private readonly mailbox: ImapMailbox;
  private readonly connection: ImapConnectionSettings;
  private folders: WatchedFolder[] = [];
  private watchers: IdleWatcher[] = [];
  /** per folder and UID: passes in a row that the server listed it and gave no header */
  private readonly misses = new Map<string, number>();

  constructor(readonly account: MailAccount, signIn: AccountSignIn, tls: TlsSettings, private readonly poll: PollContext, clientOptions?: ImapConnectionSettings['clientOptions']) {
    this.label = account.label;
    this.connection = { account, ...signIn, tls, timeoutMs: poll.config.number('timeout') * 1000, compress: poll.config.flag('imapCompress'), ...(clientOptions ? { clientOptions } : {}) };
    this.mailbox = new ImapMailbox(this.connection);
  }

  /** IDLE on every watched folder (known after the first pass), calling `onNewMail` as mail arrives. */
  watch(onNewMail: () => void): void {
    if (this.watchers.length > 0) return;
    this.watchers = this.folders.map((folder) => new IdleWatcher(this.connection, folder.path, onNewMail));
  }

  get watching(): boolean {
    return this.watchers.length > 0;
  }

  async pass(): Promise<PassResult> {
    if (!this.mailbox.connected) {
      await this.mailbox.close();
      await this.mailbox.connect();
      this.folders = await this.mailbox.watchedFolders(this.poll.config.list('folder'), this.poll.config.flag('folderRecursive'));
    }
    if (!this.poll.state.knowsImapAccount(this.account.label)) await this.firstSight();
    let announced = 0;
    let remaining = 0;
    let handled = 0;
    for (const folder of this.folders) {
      if (this.poll.stopping()) break;
      const result = await this.folderPass(folder);
      announced += result.announced;
      remaining += result.remaining;
      handled += result.handled;
    }
    return { announced, remaining, handled };
  }

  /** The account seen for the first time: every folder's cursor as firstPass says (firstPass.ts), in one go. */
  private async firstSight(): Promise<void> {
    const policy = firstPassOf(this.poll.config);
    const folders: Array<{ folder: string; uidValidity: number; highest: number }> = [];
    for (const folder of this.folders) {
      const status = await this.mailbox.status(folder.path);
      folders.push({ folder: folder.path, uidValidity: status.uidValidity, highest: Math.max(0, (status.uidNext ?? 1) - 1) });
    }
    this.poll.state.firstSight(this.account.label, folders, policy.kind === 'all' ? 'all' : policy.kind === 'new' ? 'skip' : 'restrict');
    this.poll.logger.info(`${this.account.label}: first pass over ${folders.length} folders (firstPass ${this.poll.config.str('firstPass')}): it takes ${describeFirstPass(policy)}`);
  }

  private async folderPass(folder: WatchedFolder): Promise<PassResult> {
    const { state, logger } = this.poll;
    const key = this.account.label;
    const status = await this.mailbox.status(folder.path);
    const highest = status.uidNext === undefined ? undefined : status.uidNext - 1;
    let cursor = state.cursor(key, folder.path);
    logger.debug(`${key} ${folder.path}: STATUS UIDVALIDITY ${status.uidValidity} UIDNEXT ${status.uidNext ?? '?'}; cursor ${cursor ? `UIDVALIDITY ${cursor.uidValidity} at UID ${cursor.lastUid}` : 'none yet'}`);
    if (!cursor || cursor.uidValidity !== status.uidValidity) {
      if (cursor) {
        logger.warning(`${key} ${folder.path}: UIDVALIDITY changed from ${cursor.uidValidity} to ${status.uidValidity}; messages announced before are recognised by Message-ID and size, the others announced`);
      }
      // A folder seen for the first time has nothing to reconcile: everything in it is new.
      // After a change every message of the new UIDVALIDITY is reconciled, not only those
      // below the UIDNEXT of the moment it was seen: a restore goes on appending after it.
      state.resetCursor(key, folder.path, status.uidValidity, cursor ? Number.MAX_SAFE_INTEGER : 0);
      cursor = state.cursor(key, folder.path)!;
    }
    if (highest !== undefined && highest <= cursor.lastUid) return { announced: 0, remaining: 0, handled: 0 };

    const batch = Math.max(1, this.poll.config.number('batch'));
    // The first pass under firstPass unseen or since: up to what was there at first sight, only what the policy names.
    const firstPassUntil = state.firstPassUntil(key, folder.path);
    const restricted = firstPassUntil > cursor.lastUid;
    const search = restricted ? firstPassSearch(firstPassOf(this.poll.config), this.poll.search) : this.poll.search;
    const { uids, headers, missing } = await this.mailbox.newMessages(folder.path, cursor.lastUid, search, batch, restricted ? firstPassUntil : undefined);
    logger.debug(`${key} ${folder.path}: UID SEARCH after UID ${cursor.lastUid}${this.poll.search ? ' with mailSearch' : ''}: ${uids.length} new, headers of ${headers.length} fetched${missing.length > 0 ? `, ${missing.length} without a header` : ''}`);
    // The cursor stops below a UID the server listed but gave no header for, so that it is
    // asked again next pass; after MAX_MISSES passes it is passed over, said in the log.
    const { stopAt, passedOver } = this.held(folder, missing);
    const before = (uid: number) => stopAt === undefined || uid < stopAt;
    const pending = new Set<string>();
    const steps = headers.filter((header) => before(header.uid))
      .map((header) => this.step(folder, status.uidValidity, header, cursor!.reconcileUntil, pending));

    const announced = await announceInOrder(this.poll, steps, (step) => state.advance(key, folder.path, step.header.uid, step.identity));
    // Only now: the cursor may not pass a UID below them before its notification is confirmed.
    for (const uid of passedOver.filter(before)) state.advance(key, folder.path, uid, undefined);
    const remaining = uids.length - steps.length - passedOver.filter(before).length;
    // Every matching message is done: UIDs up to UIDNEXT that did not match the search need no second look.
    if (remaining === 0 && restricted) state.advance(key, folder.path, firstPassUntil, undefined);
    else if (remaining === 0 && highest !== undefined) state.advance(key, folder.path, highest, undefined);
    if (announced > 0 || remaining > 0) logger.info(`${key} ${folder.path}: ${announced} announced, ${remaining} remaining`);
    return { announced, remaining, handled: steps.length + passedOver.length };
  }

  /** The lowest UID of `missing` still to wait for (a miss counted), and those below it passed over. */
  private held(folder: WatchedFolder, missing: readonly number[]): { stopAt: number | undefined; passedOver: number[] } {
    const passedOver: number[] = [];
    for (const uid of missing) {
      const key = `${folder.path}\u0000${uid}`;
      const misses = (this.misses.get(key) ?? 0) + 1;
      if (misses < MAX_MISSES) {
        this.misses.set(key, misses);
        if (misses === 1) this.poll.logger.warning(`${this.account.label} ${folder.path} UID ${uid}: the server listed it but gave no complete header for it; asked again next pass`);
        return { stopAt: uid, passedOver };
      }
      passedOver.push(uid);
      this.misses.delete(key);
      this.poll.logger.error(`${this.account.label} ${folder.path} UID ${uid}: the server listed it but gave no header for it in ${MAX_MISSES} passes; passed over (nothing announced for it)`);
      this.poll.count('errors');
    }
    return { stopAt: undefined, passedOver };
  }

  private step(folder: WatchedFolder, uidValidity: number, header: MessageHeader, reconcileUntil: number, pending: Set<string>): Step {
    this.misses.delete(`${folder.path}\u0000${header.uid}`);
    if (header.problems.length > 0) {
      this.poll.logger.warning(`${this.account.label} ${folder.path} UID ${header.uid}: ${header.problems.join('; ')}; announced with the rest of its header`);
    }
    const identity = messageIdentity(header.messageId, header.size, header.internalDate);
    if (header.uid <= reconcileUntil && this.poll.state.wasAnnounced(this.account.label, folder.path, identity)) {
      return { header, identity, notification: undefined };
    }
    return { header, identity, notification: acceptedNotification(this.poll, imapNotification(this.account, folder, uidValidity, header), pending) };
  }

  async close(): Promise<void> {
    await Promise.all(this.watchers.map((watcher) => watcher.stop()));
    this.watchers = [];
    await this.mailbox.close();
  }
}
