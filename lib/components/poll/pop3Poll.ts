// One POP3 account of a poll. POP3 has no folders and no UIDs that grow, only a unique id
// per message (UIDL), so the state keeps the set of UIDLs announced. Per pass: one session
// (POP3 locks the maildrop while a session is open, so it is closed at once for the
// subscribe to get in), UIDL, the headers of new messages with TOP n 0, and each UIDL
// recorded once the broker confirmed its notification. Nothing on the server changes.
import { type ParsedMail, simpleParser } from 'mailparser';
import type { AccountSignIn, MailAccount } from '../../mail/account.js';
import { headerDate, headerMessageId, type HeaderProblems, headerText } from '../../mail/headerValues.js';
import type { LoginGate } from '../../mail/pop3/loginGate.js';
import { pop3MessageId, Pop3Client, type Pop3Settings } from '../../mail/pop3/pop3Client.js';
import { optional } from '../../system/optional.js';
import type { TlsSettings } from '../../mail/tls.js';
import { formatPubTime, type Notification } from '../../message.js';
import { acceptedNotification, announceInOrder } from './announce.js';
import { describeFirstPass, firstPassOf } from './firstPass.js';
import type { MailboxPoll, PassResult, PollContext } from './mailboxPoll.js';
import { pop3RelPath } from './notification.js';

export class Pop3Poll implements MailboxPoll {
  readonly label: string;
  private readonly settings: Pop3Settings;

  constructor(readonly account: MailAccount, signIn: AccountSignIn, tls: TlsSettings, private readonly poll: PollContext, gate: LoginGate) {
    this.label = account.label;
    this.settings = {
      account, ...signIn, tls, timeoutMs: poll.config.number('timeout') * 1000, gate, stopped: poll.stopping, onWait: (line) => poll.logger.info(line),
    };
  }

  async pass(): Promise<PassResult> {
    const { state, config } = this.poll;
    const client = await Pop3Client.connect(this.settings);
    try {
      const listed = await client.uidl();
      if (!state.knowsPopAccount(this.account.label)) {
        // The first pass (firstPass.ts): with `new`, what is there now is recorded, not announced.
        const policy = firstPassOf(config);
        state.firstPopPass(this.account.label, policy.kind === 'new' ? listed.map((entry) => entry.uidl) : []);
        this.poll.logger.info(`${this.account.label}: first pass (firstPass ${config.str('firstPass')}): it takes ${describeFirstPass(policy)}`);
      }
      const announced = state.popAnnounced(this.account.label);
      const fresh = listed.filter((entry) => !announced.has(entry.uidl));
      const batch = fresh.slice(0, Math.max(1, config.number('batch')));
      this.poll.logger.debug(`${this.account.label}: UIDL lists ${fresh.length} not announced yet; taking ${batch.length} (TOP of each for its header)`);
      const sizes = batch.length > 0 ? await client.list() : new Map<number, number>();
      const steps: Array<{ uidl: string; notification: Notification | undefined }> = [];
      const pending = new Set<string>();
      for (const entry of batch) {
        const notification = await this.notification(entry.uidl, sizes.get(entry.number) ?? 0, await client.header(entry.number));
        steps.push({ uidl: entry.uidl, notification: acceptedNotification(this.poll, notification, pending) });
        if (this.poll.stopping()) break;
      }
      await client.quit();
      const count = await announceInOrder(this.poll, steps, (step) => state.recordPop(this.account.label, step.uidl));
      const remaining = fresh.length - steps.length;
      if (count > 0 || remaining > 0) this.poll.logger.info(`${this.account.label}: ${count} announced, ${remaining} remaining`);
      return { announced: count, remaining, handled: steps.length };
    } finally {
      client.close();
    }
  }

  /**
   * The notification of one message, from what of its header could be read: a header the
   * parser refuses still gives a notification (UIDL and size are all the subscribe needs).
   */
  private async notification(uidl: string, size: number, header: Buffer): Promise<Notification> {
    const problems: HeaderProblems = [];
    let parsed: ParsedMail | undefined;
    try {
      // mailparser decodes RFC 2047 words and folded headers; a header-only message parses quickly.
      parsed = await simpleParser(header, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true });
    } catch (error) {
      problems.push(`its header could not be read (${(error as Error).message})`);
    }
    const to = parsed?.to === undefined ? undefined : Array.isArray(parsed.to) ? parsed.to.map((a) => a.text).join(', ') : parsed.to.text;
    const date = headerDate(parsed?.date, 'Date', problems);
    const notification: Notification = {
      pubTime: formatPubTime(new Date()),
      baseUrl: this.account.label,
      relPath: pop3RelPath(uidl),
      size,
      contentType: 'message/rfc822',
      ...(date ? { mtime: formatPubTime(date) } : {}),
      identity: { method: 'cod', value: 'sha512' },
      mail: {
        uidl,
        ...optional('messageId', headerMessageId(pop3MessageId(header), problems)),
        ...optional('subject', headerText(parsed?.subject, 'Subject', problems)),
        ...optional('from', headerText(parsed?.from?.text, 'From', problems)),
        ...optional('to', headerText(to, 'To', problems)),
        ...optional('date', date?.toISOString()),
      },
    };
    if (problems.length > 0) this.poll.logger.warning(`${this.account.label} UIDL ${uidl}: ${problems.join('; ')}; announced with the rest of its header`);
    return notification;
  }

  async close(): Promise<void> {
    // every pass closes its own session
  }
}
