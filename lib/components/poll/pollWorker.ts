// The poll instance's work: on its schedule, a pass over every mailbox of the config, each
// announcing its new messages on the post broker. A mailbox that fails (login refused,
// server gone) is logged once per distinct error and retried with a growing delay, while
// the others go on.
import { OAuthGrantError } from '../../auth/refusals.js';
import path from 'node:path';
import { BrokerError, Unroutable } from '../../broker/broker.js';
import { publishNotification } from '../../broker/notifications.js';
import { withHeaders } from '../../message.js';
import { postTarget } from '../../broker/topology.js';
import type { CredentialsStore } from '../../config/credentials.js';
import { pop3LoginsFile, stateDir, type SrPaths } from '../../config/paths.js';
import { buildSchedule, scheduleSettings } from '../../flow/schedule.js';
import { declareOnBroker, openBrokerLink } from '../../instance/brokerLink.js';
import { type InstanceContext, type MailboxReport, StopSignal, type Worker } from '../../instance/runtime.js';
import { judgeDepotError } from '../../depot/errors.js';
import { depotLocation, isDepotUrl } from '../../depot/location.js';
import { accountSignIn, mailAccount } from '../../mail/account.js';
import { parseSearchKeys } from '../../mail/imap/search.js';
import { describeMailError, isLastingMailError, isTokenExpiredBye, mailErrorPlace } from '../../mail/mailErrors.js';
import { LoginGate } from '../../mail/pop3/loginGate.js';
import { accountTls, tlsSettings } from '../../mail/tls.js';
import { PollState } from '../../state/pollState.js';
import { type LongTimer, longTimeout } from '../../system/timers.js';
import { DirectoryPoll } from './directoryPoll.js';
import { ImapPoll } from './imapPoll.js';
import { pollSourceTopic } from '../pollSources.js';
import type { MailboxPoll, PollContext } from './mailboxPoll.js';
import { Pop3Poll } from './pop3Poll.js';
import { type ActiveRole, activeRole, CursorLog, cursorLogQueue } from './vip.js';

const FIRST_RETRY_MS = 10_000;
/** How often a host standing by (vip) asks whether it is its turn. */
const VIP_CHECK_MS = 2_000;
const MAX_RETRY_MS = 10 * 60_000;

interface MailboxEntry {
  readonly poll: MailboxPoll;
  /** the topic words after the prefix that name the source (mailboxTopic, depotTopic) */
  readonly topic: string;
  /** a failure of a pass, in words that say what to fix, and whether it passes by itself */
  readonly judge: (error: unknown) => { readonly reason: string; readonly lasting: boolean };
  failures: number;
  /** when this run of failures began */
  failingSince: number;
  retryAt: number;
  lastError: string | undefined;
  /** the last error will not pass by itself */
  lasting: boolean;
  summary: string;
  /** found new by the last pass and left for the next ones (batch) */
  remaining: number;
  /** when a pass last worked; 0 before the first */
  lastSuccess: number;
}

/** What sr status shows of a mailbox: failing since when, why, and the next try. */
function mailboxReport(mailbox: MailboxEntry): MailboxReport {
  const account = mailbox.poll.label;
  const lastSuccess = mailbox.lastSuccess > 0 ? { lastSuccess: new Date(mailbox.lastSuccess).toISOString() } : {};
  if (mailbox.failures === 0) return { account, state: 'ok', remaining: mailbox.remaining, ...lastSuccess };
  return {
    account, state: 'failing', ...lastSuccess, since: new Date(mailbox.failingSince).toISOString(),
    cause: mailbox.lastError ?? 'unknown', nextTry: new Date(mailbox.retryAt).toISOString(), lasting: mailbox.lasting,
  };
}

export class PollWorker implements Worker {
  private readonly stopSignal = new StopSignal();

  constructor(private readonly paths: SrPaths, private readonly credentials: CredentialsStore) {}

  stop(): void {
    this.stopSignal.stop();
  }

  /**
   * Another pass is wanted at once, without moving the schedule: mail arrived (IDLE) since
   * the last pass started, or that pass left a backlog. Kept when no wait was going on, so it is not lost.
   */
  private wakePending = false;
  private wakeWaiter: (() => void) | undefined;

  private readonly wake = (): void => {
    this.wakePending = true;
    this.wakeWaiter?.();
  };

  private async waitFor(due: Date): Promise<'due' | 'woken' | 'stop'> {
    if (this.stopSignal.stopped) return 'stop';
    const woken = new Promise<void>((resolve) => {
      this.wakeWaiter = resolve;
      if (this.wakePending) resolve();
    });
    let timer: LongTimer | undefined;
    const reason = await Promise.race([
      // A yearly schedule or `sleep 30d` waits longer than one Node timer can (see longTimeout).
      new Promise<'due'>((resolve) => { timer = longTimeout(() => resolve('due'), due.getTime() - Date.now()); }),
      woken.then(() => 'woken' as const),
      this.stopSignal.promise.then(() => 'stop' as const),
    ]);
    timer?.clear();
    this.wakeWaiter = undefined;
    return reason;
  }

  async run(context: InstanceContext): Promise<void> {
    const { config, logger } = context;
    const post = postTarget(config)!;
    const schedule = buildSchedule(scheduleSettings(config));
    const tls = tlsSettings(config);
    if (!tls.verify) logger.warning(`${config.str('tlsRigour') === 'lax' ? 'tlsRigour is lax' : 'tlsVerify is off'}: mail server certificates are not checked, so a server in the middle can read the mail and passwords`);
    const search = config.str('mailSearch') === undefined ? undefined : parseSearchKeys(config.str('mailSearch')!);
    const broker = await openBrokerLink(this.paths, this.credentials, context, post.url);
    const state = PollState.open(path.join(stateDir(this.paths, config.id), 'poll.sqlite'));
    const role = activeRole(config, broker);
    // vip: who polls, and the cursor the hosts share through the broker.
    const vip = role && { role, cursorLog: new CursorLog(broker, cursorLogQueue(config), state, logger) };
    const mandatory = config.flag('post_mandatory');
    let gate: LoginGate | undefined;
    const loginGate = () => (gate ??= LoginGate.open(pop3LoginsFile(this.paths)));
    const mailboxes: MailboxEntry[] = config.list('pollUrl').map((url) => {
      const topic = pollSourceTopic(url);
      const pollContext = (label: string): PollContext => ({
        config, state, logger, search, events: context.events,
        // The topic carries the mailbox: subscribes select a mailbox by topic (pairing.ts).
        announce: async (notification) => {
          this.checkTurn(vip?.role);
          await publishNotification(broker, post.exchange, `${post.topicPrefix}.${topic}`, withHeaders(notification, config.headers), mandatory);
        },
        stopping: () => this.stopSignal.stopped,
        count: (counter, amount) => context.count(counter, amount, label),
        handled: (amount) => context.handled(amount),
      });
      const entry = { failures: 0, failingSince: 0, retryAt: 0, lastError: undefined, lasting: false, remaining: 0, lastSuccess: 0, topic };
      if (isDepotUrl(url)) {
        const location = depotLocation(url);
        const poll = new DirectoryPoll(location, pollContext(location.label));
        return { ...entry, poll, judge: judgeDepotError, summary: `${location.label}: not polled yet` };
      }
      const account = mailAccount(url);
      const signIn = accountSignIn(account, this.credentials, (line) => logger.warning(line));
      const own = accountTls(config, tls, this.credentials.lookup(account.url));
      if (!own.verify && tls.verify) logger.warning(`${account.label}: tlsVerify is off (credentials.conf): its certificate is not checked`);
      const poll = account.protocol === 'imap' ? new ImapPoll(account, signIn, own, pollContext(account.label)) : new Pop3Poll(account, signIn, own, pollContext(account.label), loginGate());
      const judge = (error: unknown) => ({ reason: describeMailError(error, mailErrorPlace(account, this.credentials)), lasting: isLastingMailError(error) });
      return { ...entry, poll, judge, summary: `${account.label}: not polled yet` };
    });
    try {
      if (await this.stopSignal.until(broker.ready())) return;
      if (config.flag('exchangeDeclare') && await declareOnBroker(context, broker, this.stopSignal, () => broker.declareExchange(post.exchange))) return;
      logger.info(`polling ${mailboxes.map((m) => m.poll.label).join(', ')} ${schedule.description}, announcing on ${post.exchange} of ${broker.label}`);
      if (vip) {
        const topics = [...new Set(mailboxes.map((m) => `${post.topicPrefix}.${m.topic}.#`))];
        if (await declareOnBroker(context, broker, this.stopSignal, () => vip.cursorLog.declare(post.exchange, topics))) return;
      }
      let ourTurn = false;
      const idle = config.flag('idle');
      const nodupeTtl = config.number('nodupe_ttl');
      let housekept = 0;
      for (let next: Date | undefined = new Date(); next;) {
        const reason = await this.waitFor(next);
        if (reason === 'stop') return;
        if (vip) {
          ourTurn = await this.turn(context, vip.role, vip.cursorLog, ourTurn);
          context.standby = ourTurn ? undefined : vip.role.waitingFor;
          if (!ourTurn) {
            context.notes = [vip.role.waitingFor];
            next = new Date(Date.now() + VIP_CHECK_MS);
            continue;
          }
        }
        if (Date.now() - housekept > config.number('housekeeping') * 1000) {
          // Once per housekeeping. nodupe_ttl: what it no longer covers is forgotten; vip: the log gets the whole cursor.
          if (nodupeTtl > 0) state.forgetAnnouncedBefore(nodupeTtl);
          await vip?.cursorLog.snapshot().catch((error: unknown) => logger.warning(`vip: the cursor snapshot was not sent (${(error as Error)?.message ?? String(error)}); the next housekeeping sends it`));
          housekept = Date.now();
        }
        // Mail that arrives from here on may come after its folder's STATUS: it asks for another pass.
        this.wakePending = false;
        let backlog = false;
        for (const mailbox of mailboxes) {
          if (this.stopSignal.stopped) return;
          backlog = (await this.pollMailbox(context, mailbox)) || backlog;
          const poll = mailbox.poll;
          if (idle && poll instanceof ImapPoll && mailbox.failures === 0 && !poll.watching) poll.watch(this.wake);
        }
        // `batch` bounds a pass, not the pace: mail left for the next pass is announced by it
        // at once, or a 100,000-message backlog would take a thousand sleeps to announce.
        if (backlog) this.wake();
        context.notes = mailboxes.map((m) => m.summary).concat(tls.verify ? [] : ['tlsVerify off']);
        context.mailboxes = mailboxes.map(mailboxReport);
        // A pass woken by IDLE does not move the schedule: the catch-up passes keep their times.
        if (reason === 'due') next = schedule.next(new Date());
      }
      logger.warning(`the schedule (${schedule.description}) will not fire again; the instance waits to be stopped`);
      await this.stopSignal.promise;
    } finally {
      await Promise.all(mailboxes.map((m) => m.poll.close().catch(() => undefined)));
      state.close();
      gate?.close();
      await broker.close();
    }
  }

  /**
   * vip: whether this host polls now. Taking over, it first reads the cursor log the broker
   * keeps, so that it starts after the last announcement, whichever host made it.
   */
  private async turn(context: InstanceContext, role: ActiveRole, cursorLog: CursorLog, wasOurs: boolean): Promise<boolean> {
    let ours: boolean;
    try {
      ours = await role.mayPoll();
    } catch (error) {
      context.logger.warning(`vip: cannot tell whether it is this host's turn (${(error as Error)?.message ?? String(error)}); standing by`);
      return false;
    }
    if (ours && !wasOurs) {
      try {
        await cursorLog.catchUp();
      } catch (error) {
        context.logger.warning(`vip: this host's turn, but the cursor could not be read from the broker (${(error as Error)?.message ?? String(error)}); not polling until it is`);
        return false;
      }
      context.logger.info(`vip: this host polls now, its cursor moved by the ${cursorLog.applied} records the broker kept`);
    } else if (!ours && (wasOurs || context.standby !== role.waitingFor)) {
      context.logger.info(`vip: standing by (${role.waitingFor}); the cursor is read from the broker when this host takes over`);
    }
    return ours;
  }

  /** Before each announcement under vip: a host that lost its turn meanwhile announces nothing more. */
  private checkTurn(role: ActiveRole | undefined): void {
    if (role && !role.holds()) throw new BrokerError(`vip: no longer this host's turn (${role.waitingFor}); the rest is left to it`);
  }

  /** One pass over the mailbox; true when it got through its batch and left more for the next pass. */
  private async pollMailbox(context: InstanceContext, mailbox: MailboxEntry): Promise<boolean> {
    const label = mailbox.poll.label;
    if (Date.now() < mailbox.retryAt) return false;
    try {
      // A pass waits on the server (a silent one, a POP3 greeting that never comes) for up to
      // `timeout`: sr stop does not wait with it. The pass is left, its connection closed.
      const pass = mailbox.poll.pass();
      if (await this.stopSignal.until(pass)) {
        pass.catch(() => undefined);
        await mailbox.poll.close().catch(() => undefined);
        return false;
      }
      const result = await pass;
      if (mailbox.failures > 0) context.logger.info(`${label}: working again`);
      mailbox.failures = 0;
      mailbox.lastError = undefined;
      mailbox.summary = `${label}: ${result.announced} announced, ${result.remaining} remaining`;
      mailbox.remaining = result.remaining;
      mailbox.lastSuccess = Date.now();
      context.lastActivity = new Date();
      return result.remaining > 0 && result.handled > 0;
    } catch (error) {
      // Cut short by sr stop (a wait for a POP3 login given up, a connection dropped): nothing failed.
      if (this.stopSignal.stopped) return false;
      // Nobody to take the announcements is no fault of the mailbox: asked again soon, for
      // the moment a subscribe binds its queue, without growing pauses or a new connection.
      const unrouted = error instanceof Unroutable;
      if (!unrouted) await mailbox.poll.close().catch(() => undefined);
      if (isTokenExpiredBye(error)) {
        context.logger.info(`${label}: the server ended the session as its OAuth2 token expired; reconnecting with a new one`);
        return true; // at once: nothing failed
      }
      if (mailbox.failures === 0) mailbox.failingSince = Date.now();
      mailbox.failures += 1;
      // A grant waiting for a person costs nothing to look at (the token store, not the
      // provider): looked at often, so that a new sr oauth login resumes the mailbox soon.
      const soon = unrouted || error instanceof OAuthGrantError;
      const delay = soon ? FIRST_RETRY_MS : Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (mailbox.failures - 1));
      mailbox.retryAt = Date.now() + delay;
      const judged = unrouted ? undefined : mailbox.judge(error);
      const reason = judged?.reason
        ?? `${(error as Error).message} (start the subscribe that reads it, or sr declare its queue; post_mandatory off if nobody is meant to); the messages wait on the server, the poll's place stays before them`;
      if (reason !== mailbox.lastError) context.logger.error(`${label}: ${reason}; retrying in ${Math.round(delay / 1000)}s${soon ? '' : ', then less often'}`);
      mailbox.lastError = reason;
      mailbox.lasting = judged?.lasting ?? false;
      mailbox.summary = `${label}: ${reason}`;
      context.count('errors', 1, label);
      return false;
    }
  }
}
