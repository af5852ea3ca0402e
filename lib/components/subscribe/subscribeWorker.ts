// The subscribe instance's work: take mail notifications from the queue, several at once
// (up to prefetch), ingest each message (ingest.ts) and acknowledge its notification only
// once its files, their notifications and the mail action are done. A message that fails
// stays unacknowledged while it is retried with growing pauses: for a passing reason (server
// or broker down) until retry_ttl, for a lasting one (undecodable, too large, not the
// message announced) up to `attempts` times, then it is quarantined. On stop, the messages
// in hand finish; those waiting for a retry go back to the queue.
import fs from 'node:fs';
import path from 'node:path';
import { type Broker, type DeadLetterBounds, type RawDelivery } from '../../broker/broker.js';
import { consumeNotifications, publishNotification } from '../../broker/notifications.js';
import { postTarget, subscribeQueue } from '../../broker/topology.js';
import type { CredentialsStore } from '../../config/credentials.js';
import type { Mask } from '../../config/parser.js';
import { pop3LoginsFile, stateDir, type SrPaths } from '../../config/paths.js';
import { acceptingMaskLogged } from '../../flow/masks.js';
import { isTransient } from '../../flow/transient.js';
import { templateRoot } from '../../decode/templates.js';
import { chooseSyncMethod } from '../../output/durability.js';
import { removeStaging } from '../../output/stagedFile.js';
import { declareOnBroker, openBrokerLink, openPostBroker, reportBroker } from '../../instance/brokerLink.js';
import { type InstanceContext, type MailboxReport, StopSignal, type Worker } from '../../instance/runtime.js';
import { judgeDepotError } from '../../depot/errors.js';
import { ItemGone } from '../../depot/item.js';
import { isDepotUrl } from '../../depot/location.js';
import { debugLines } from '../../log/logger.js';
import { describeMailError, isLastingMailError, mailErrorPlace } from '../../mail/mailErrors.js';
import { LoginGate } from '../../mail/pop3/loginGate.js';
import { mailActionWords, MessageGone, MessageMismatch } from '../../mail/mailSource.js';
import { accountTls, tlsSettings } from '../../mail/tls.js';
import { type Notification, parsePubTime, withHeaders } from '../../message.js';
import { SubscribeState } from '../../state/subscribeState.js';
import { ActionBatcher } from './actionBatcher.js';
import { DecodeCrashed, DecodeOverBudget, DecodePool } from './decodePool.js';
import { NotificationLag } from './notificationLag.js';
import { pairedTopics, watchedDirectories } from './pairing.js';
import { ingestDepotItem } from './depotIngest.js';
import { type DepotItemRef, depotItemRef } from './depotNotification.js';
import { ingestMessage, type IngestTools, MessageTooLarge } from './ingest.js';
import { type MailMessageRef, mailMessageRef, NotMailNotification } from './mailNotification.js';
import { envelopeQuarantine } from './envelopeParts.js';
import { pruneQuarantine, quarantineFiles, quarantineOnServer } from './quarantine.js';
import { deadLetterBounds, decodeBudgetMs, ingestSettings, quarantineDirectory, stagingRoots } from './settings.js';
import { SourcePool } from './sourcePool.js';

const FIRST_RETRY_MS = 10_000;
const MAX_RETRY_MS = 10 * 60_000;

/** Failures that quarantine the message at once: it hurt a decode thread, trying again would hurt another. */
function isHarmful(error: unknown): boolean {
  return error instanceof DecodeOverBudget || error instanceof DecodeCrashed;
}

/** A notification's source: a mail message, or an item of a watched directory. */
type ItemRef = MailMessageRef | DepotItemRef;

function isDepotRef(ref: ItemRef): ref is DepotItemRef {
  return 'location' in ref;
}

interface Handling {
  readonly context: InstanceContext;
  /** the directories this host's polls watch: items are read from these only */
  readonly watched: ReadonlySet<string>;
  readonly tools: IngestTools;
  readonly pool: SourcePool;
  readonly broker: Broker;
  readonly queue: string;
  /** deadLetterMax and deadLetterAge */
  readonly deadLetterBounds: DeadLetterBounds;
}

/** Whether every promise of `work` settles within `ms`. */
async function settlesWithin(work: ReadonlySet<Promise<void>>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    Promise.allSettled([...work]).then(() => true),
    new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); }),
  ]);
  clearTimeout(timer);
  return settled;
}

/** How long ago the notification was published (sr3's lag), as the after_accept line says it. */
function lagOf(notification: Notification): string {
  try {
    return `${((Date.now() - parsePubTime(notification.pubTime).getTime()) / 1000).toFixed(2)} s`;
  } catch {
    return 'unknown';
  }
}

export class SubscribeWorker implements Worker {
  private readonly stopSignal = new StopSignal();
  private readonly inFlight = new Set<Promise<void>>();
  /** the handling of each message in hand, by server identity (see oneAtATime) */
  private readonly byServerKey = new Map<string, Promise<void>>();
  /** per account in trouble: the last error logged (each distinct one is logged once), since when, the next try */
  private readonly lag = new NotificationLag();
  /** when a message of each account was last handled with its mailbox */
  private readonly lastSuccess = new Map<string, number>();
  private readonly accountTrouble = new Map<string, { reason: string; since: number; nextTry: number; lasting: boolean }>();

  constructor(private readonly paths: SrPaths, private readonly credentials: CredentialsStore) {}

  stop(): void {
    this.stopSignal.stop();
  }

  async run(context: InstanceContext): Promise<void> {
    const { config, logger } = context;
    const tls = tlsSettings(config);
    if (!tls.verify) logger.warning(`${config.str('tlsRigour') === 'lax' ? 'tlsRigour is lax' : 'tlsVerify is off'}: mail server certificates are not checked, so a server in the middle can read the mail and passwords`);
    const broker = await openBrokerLink(this.paths, this.credentials, context, config.str('broker'));
    const post = postTarget(config);
    const postBroker = post && await openPostBroker(this.paths, this.credentials, context, post, broker, config.str('broker'));
    const announce = post && postBroker
      ? (notification: Notification) => publishNotification(postBroker, post.exchange, post.topicPrefix, withHeaders(notification, config.headers))
      : undefined;
    const stateFile = path.join(stateDir(this.paths, config.id), 'subscribe.sqlite');
    const state = SubscribeState.open(stateFile);
    // Left by this instance before (killed, or a thread replaced): staging directories are its own, by name.
    const roots = stagingRoots(config, this.paths);
    const outputRoot = templateRoot(config.str('directory')!);
    fs.mkdirSync(outputRoot, { recursive: true });
    const { method: syncMethod, why } = chooseSyncMethod(outputRoot, config.str('fileSync') as 'auto' | 'fsync' | 'syncfs');
    logger.info(why);
    const settings = ingestSettings(config, this.paths, context.instance, announce, syncMethod);
    for (const root of roots) removeStaging(root, settings.files.writer);
    const decoders = new DecodePool(stateFile, {
      stallMs: config.number('decodeBudget') * 1000,
      budgetMs: (job) => decodeBudgetMs(config, job.size),
      onThreadGone: (threadId) => { for (const root of roots) removeStaging(root, `${settings.files.writer}.t${threadId}`); },
    });
    let gate: LoginGate | undefined;
    const debug = debugLines(logger);
    const pool = new SourcePool(this.credentials, (account) => {
      const own = accountTls(config, tls, this.credentials.lookup(account.url));
      if (!own.verify && tls.verify) logger.warning(`${account.label}: tlsVerify is off (credentials.conf): its certificate is not checked`);
      return own;
    }, { timeoutMs: config.number('timeout') * 1000, compress: config.flag('imapCompress') }, (line) => logger.warning(line), {
      gate: () => (gate ??= LoginGate.open(pop3LoginsFile(this.paths))), stopped: () => this.stopSignal.stopped, onWait: (line) => logger.info(line),
    }, debug);
    // Left by a crash of this instance in the middle of a download: the message is downloaded again.
    fs.rmSync(settings.incomingDirectory, { recursive: true, force: true });
    this.boundQuarantine(context);
    const housekeeping = setInterval(() => {
      state.expire(config.number('nodupe_ttl'));
      this.boundQuarantine(context);
    }, config.number('housekeeping') * 1000);
    try {
      if (await this.stopSignal.until(broker.ready())) return;
      const queue = subscribeQueue(this.paths, config, pairedTopics(this.paths, config));
      if (await declareOnBroker(context, broker, this.stopSignal, () => broker.declareQueue(queue))) return;
      if (post && postBroker && config.flag('exchangeDeclare')) {
        if (await this.stopSignal.until(postBroker.ready())) return;
        if (await declareOnBroker(context, postBroker, this.stopSignal, () => postBroker.declareExchange(post.exchange))) return;
      }
      logger.info(`queue ${queue.name} bound to ${queue.bindings.map((b) => `${b.exchange} ${b.topic}`).join(', ')}; writing to ${settings.files.directory}`
        + `${post ? `, announcing on ${post.exchange} of ${postBroker!.label}` : ''}, mailAction ${mailActionWords(settings.mailAction)}`);
      const handling: Handling = {
        context, tools: { settings, state, actions: new ActionBatcher(), decoders, debug, events: context.events }, pool, broker, queue: queue.name, watched: watchedDirectories(this.paths),
        deadLetterBounds: deadLetterBounds(config),
      };
      const subscription = await consumeNotifications(broker, queue.name, config.number('prefetch'), logger, (notification, delivery) => {
        const taken = this.lag.took(notification);
        const work = this.handle(handling, notification, delivery).then(() => context.handled());
        this.inFlight.add(work);
        return work.finally(() => {
          this.inFlight.delete(work);
          this.lag.done(taken);
        });
      }, { bounds: handling.deadLetterBounds, onDeadLetter: () => context.count('deadLetters') });
      const interval = config.number('metrics_writeInterval') * 1000;
      do {
        try {
          const depth = await broker.queueDepth(queue.name);
          reportBroker(context, broker, { queue: queue.name, depth, oldestAgeSeconds: this.lag.ageSeconds(depth) });
        } catch {
          reportBroker(context, broker, { queue: queue.name }); // disconnected: the state says so
        }
        context.mailboxes = this.mailboxReports();
        context.notes = [...this.accountTrouble.entries()].map(([account, trouble]) => `${account}: ${trouble.reason}`)
          .concat(tls.verify ? [] : ['tlsVerify off']);
      } while (!(await this.stopSignal.sleep(interval)));
      // The messages in hand finish; one held by a decode thread it blocks, or by a server
      // that went silent, would hold the stop past sr stop's SIGKILL: after half of
      // stop_timeout the threads are ended and the connections dropped, and what they held
      // goes back to the queue, undone and unacknowledged.
      const grace = (config.number('stop_timeout') * 1000) / 2;
      if (await settlesWithin(this.inFlight, grace) === false) {
        logger.warning(`messages still in hand after ${Math.round(grace / 1000)} s: their decode threads are ended and their connections dropped, the messages go back to the queue`);
        pool.abortAll();
        await decoders.close();
        await Promise.allSettled([...this.inFlight]);
      }
      await subscription.cancel();
    } finally {
      clearInterval(housekeeping);
      await pool.closeAll();
      await decoders.close();
      state.close();
      gate?.close();
      if (postBroker && postBroker !== broker) await postBroker.close();
      await broker.close();
    }
  }

  private async handle(handling: Handling, notification: Notification, delivery: RawDelivery): Promise<void> {
    const { context, broker, queue } = handling;
    const { config, logger } = context;
    handling.tools.debug?.(`${queue}: notification ${notification.baseUrl}${notification.relPath}${delivery.redelivered ? ' (redelivered)' : ''}`);
    if (this.stopSignal.stopped) return delivery.requeue();
    // The reject rules first, as in sr3: `reject .*sftp.*` drops what the user means to drop
    // before anything is said about it not being mail.
    const url = `${notification.baseUrl}${notification.relPath}`;
    const mask = acceptingMaskLogged(config, url, context.events);
    if (mask === undefined) {
      context.count('rejected');
      return delivery.ack();
    }
    let ref: ItemRef;
    try {
      ref = isDepotUrl(notification.baseUrl) ? depotItemRef(notification, handling.watched) : mailMessageRef(notification);
    } catch (error) {
      if (!(error instanceof NotMailNotification)) throw error;
      logger.error(`${queue}: ${error.message}; moved to the dead letters`);
      await broker.deadLetter(queue, delivery.body, error.message, handling.deadLetterBounds);
      context.count('deadLetters');
      return delivery.ack();
    }
    context.events('after_accept', () => `accepted: (lag: ${lagOf(notification)}) ${url} ${ref.expected.messageId ?? '(no Message-ID)'}`);
    return this.oneAtATime(ref.serverKey, () => this.handleMessage(handling, notification, delivery, ref, mask));
  }

  /**
   * A message announced twice (a poll stopped between publishing and recording it) can have
   * both notifications in hand at once: the second waits for the first, then finds the
   * message done, rather than racing it to the server and finding it gone.
   */
  private oneAtATime(serverKey: string, work: () => Promise<void>): Promise<void> {
    const before = this.byServerKey.get(serverKey) ?? Promise.resolve();
    const handled = before.then(work);
    const settled = handled.catch(() => undefined);
    this.byServerKey.set(serverKey, settled);
    void settled.then(() => {
      if (this.byServerKey.get(serverKey) === settled) this.byServerKey.delete(serverKey);
    });
    return handled;
  }

  private async handleMessage(handling: Handling, notification: Notification, delivery: RawDelivery, ref: ItemRef, mask: Mask | 'unmatched'): Promise<void> {
    const { context, tools } = handling;
    const { logger } = context;
    if (ref.reingest !== undefined) {
      logger.info(`${ref.where}: re-ingested as sr reingest asked at ${ref.reingest}: its files are written again, under new names where the old ones are taken`);
    } else if (tools.state.doneKey([ref.serverKey])) {
      context.events('nodupe', () => `${ref.where}: ingested before, nothing to do`);
      context.count('duplicates', 1, ref.account.label);
      return delivery.ack();
    }
    // sr3: an accept line takes the directory, mirror, strip and flatten written above it.
    const { settings } = tools;
    const directory = mask !== 'unmatched' && mask.directory !== undefined ? mask.directory : settings.files.directory;
    const layout = mask === 'unmatched' ? settings.files.layout : mask.layout;
    const messageTools = directory === settings.files.directory && layout === settings.files.layout ? tools : { ...tools, settings: { ...settings, files: { ...settings.files, directory, layout } } };
    const started = Date.now();
    const took = () => `in ${Date.now() - started} ms`;
    for (;;) {
      try {
        const outcome = isDepotRef(ref)
          ? await ingestDepotItem(messageTools, notification, ref)
          : await ingestMessage(messageTools, handling.pool.sourceFor(ref.account), notification, ref, { redelivered: delivery.redelivered, at: started });
        this.working(context, ref);
        if (outcome.kind === 'ingested') {
          context.events('after_work', () => `${ref.where} ${ref.expected.messageId ?? ''}: ${outcome.files} files written${outcome.filteredOut ? `, ${outcome.filteredOut} left out by acceptFile/rejectFile` : ''} ${took()}`);
          context.count('messages', 1, ref.account.label);
          context.count('files', outcome.files, ref.account.label);
          for (const { path: kept, reason } of outcome.setAside) {
            logger.error(`${ref.where}: ${reason}; quarantined as ${kept}, none of it written to the directory (the rest of the message was)`);
            context.count('quarantined', 1, ref.account.label);
          }
        } else if (outcome.kind === 'superseded') {
          logger.info(`${ref.where}: ${outcome.why}; nothing written, its new version is announced on its own`);
        } else if (outcome.kind === 'duplicate') {
          context.events('nodupe', () => `${ref.where}: the same mail (${outcome.of}) was ingested before; tidied, nothing written ${took()}`);
          context.count('duplicates', 1, ref.account.label);
        } else {
          logger.info(`${ref.where}: its files were written before a stop; the mail action is now done`);
          context.count('messages', 1, ref.account.label);
        }
        await delivery.ack();
        tools.debug?.(`${ref.where}: notification acknowledged`);
        return;
      } catch (error) {
        const delay = await this.failed(handling, ref, notification, error).catch((failure: unknown) => {
          // Quarantining failed too (the server went away meanwhile): the message is tried again.
          logger.error(`${ref.where}: ${this.judge(ref, failure).reason} while setting it aside; trying again`);
          return FIRST_RETRY_MS;
        });
        if (delay === undefined) return delivery.ack();
        if (await this.stopSignal.sleep(delay)) return delivery.requeue();
      }
    }
  }

  /** Logs and records a failure; returns the pause before the next try, or undefined when the message is finished with. */
  private async failed(handling: Handling, ref: ItemRef, notification: Notification, error: unknown): Promise<number | undefined> {
    const { context, tools } = handling;
    const { config, logger } = context;
    const { reason, lasting } = this.judge(ref, error);
    // Cut short by sr stop (a connection dropped, a wait for a login given up): not a failure
    // of the message, which goes back to the queue as it is.
    if (this.stopSignal.stopped && isTransient(error)) {
      logger.info(`${ref.where}: left for the next start (${reason})`);
      return FIRST_RETRY_MS;
    }
    if (error instanceof MessageGone || error instanceof ItemGone) {
      if (tools.state.doneKey([ref.serverKey]) || tools.state.isPosted(ref.serverKey)) {
        // Another instance ingested it meanwhile (the poll announced it twice): nothing is missing.
        context.events('nodupe', () => `${ref.where}: ingested by another instance meanwhile, nothing to do`);
        context.count('duplicates', 1, ref.account.label);
        return undefined;
      }
      // Gone by the server's current state (fresh SELECT, NOOP) is still not a reason to drop
      // the notification: it is tried again (a server in the middle of a restore, a folder
      // being recreated), and after `attempts` quarantined with the reason, never lost silently.
      context.count('gone', 1, ref.account.label);
    }
    if (!isTransient(error)) {
      const record = tools.state.recordFailure(ref.serverKey, reason, true);
      const attempts = config.number('attempts');
      if (record.lasting < attempts && !isHarmful(error)) {
        logger.warning(`${ref.where}: ${reason} (try ${record.lasting} of ${attempts})`);
        return FIRST_RETRY_MS;
      }
      await this.quarantine(handling, ref, notification, error, reason, record.lasting);
      return undefined;
    }
    const record = tools.state.recordFailure(ref.serverKey, reason, false);
    const trouble = this.accountTrouble.get(ref.account.label) ?? { reason: '', since: Date.now(), nextTry: 0, lasting: false };
    if (trouble.reason !== reason) logger.error(`${ref.where}: ${reason}; retrying with growing pauses, the message stays on the server`);
    trouble.reason = reason;
    trouble.lasting = lasting;
    this.accountTrouble.set(ref.account.label, trouble);
    context.count('errors', 1, ref.account.label);
    const ttl = config.number('retry_ttl') * 1000;
    if (ttl > 0 && Date.now() - record.firstAt > ttl) {
      logger.error(`${ref.where}: still failing after retry_ttl (${reason}); given up, the message stays on the server`);
      return undefined;
    }
    // The pause grows with this message's own time in trouble (10 s, 10 s, 20 s, 40 s... up
    // to 10 min), not with the account's count of failures: with many messages failing at
    // once (a full disk, a server down) that count reached the 10 min at once for all of
    // them, and mail waited that long after the cause was gone.
    const pause = Math.min(MAX_RETRY_MS, Math.max(FIRST_RETRY_MS, Date.now() - record.firstAt));
    trouble.nextTry = Date.now() + pause;
    return pause;
  }

  private async quarantine(handling: Handling, ref: ItemRef, notification: Notification, error: unknown, reason: string, tries: number): Promise<void> {
    const { context, tools, pool } = handling;
    const { config, logger } = context;
    // A message that is not the one announced is left alone: the UID names some other mail;
    // one gone from the server has nothing there to download or mark. A directory's item
    // stays where it is: the reason file says which it is.
    const mail = isDepotRef(ref) || error instanceof MessageMismatch || error instanceof MessageGone ? undefined : { ref, source: pool.sourceFor(ref.account) };
    const directory = quarantineDirectory(config, this.paths);
    const staging = { root: directory, writer: `${tools.settings.files.writer}.main` };
    const file = await quarantineFiles(directory, staging, ref, notification, reason, mail && !(error instanceof MessageTooLarge) ? { source: mail.source, at: mail.ref.at } : undefined);
    if (mail) await quarantineOnServer(mail.source, mail.ref, config.str('quarantineFolder'));
    tools.state.markDone([ref.serverKey]);
    logger.error(`${ref.where}: ${reason}; quarantined after ${tries === 1 ? '1 try' : `${tries} tries`}, see ${file}`);
    context.count('quarantined', 1, ref.account.label);
    this.boundQuarantine(context);
  }

  /** quarantineAgeMax and quarantineSizeMax, after each quarantine and at housekeeping. */
  private boundQuarantine(context: InstanceContext): void {
    const { config, logger } = context;
    const bounds = { maxAgeSeconds: config.number('quarantineAgeMax'), maxBytes: config.number('quarantineSizeMax') };
    const directory = quarantineDirectory(config, this.paths);
    for (const removed of pruneQuarantine(directory, bounds)) logger.warning(`quarantine: removed ${removed}; the mail stays on its server`);
    // Malformed envelopes, under the same bounds, apart (envelopeParts.ts).
    for (const removed of pruneQuarantine(envelopeQuarantine(directory), bounds)) logger.warning(`quarantine: removed the envelope ${removed}; the mail it came in was ingested`);
  }

  /** A failure in words that say what to fix (an account named with its credentials.conf line), and whether it passes by itself. */
  private judge(ref: ItemRef, error: unknown): { reason: string; lasting: boolean } {
    if (isDepotRef(ref)) return judgeDepotError(error);
    return { reason: describeMailError(error, mailErrorPlace(ref.account, this.credentials)), lasting: isLastingMailError(error) };
  }

  /** The mailboxes this instance worked with or failed on, for sr status and the metrics. */
  private mailboxReports(): MailboxReport[] {
    const accounts = new Set([...this.lastSuccess.keys(), ...this.accountTrouble.keys()]);
    return [...accounts].map((account) => {
      const success = this.lastSuccess.get(account);
      const lastSuccess = success === undefined ? {} : { lastSuccess: new Date(success).toISOString() };
      const trouble = this.accountTrouble.get(account);
      if (!trouble) return { account, state: 'ok' as const, ...lastSuccess };
      return {
        account, state: 'failing' as const, ...lastSuccess, since: new Date(trouble.since).toISOString(), cause: trouble.reason, nextTry: new Date(trouble.nextTry).toISOString(), lasting: trouble.lasting,
      };
    });
  }

  private working(context: InstanceContext, ref: ItemRef): void {
    this.lastSuccess.set(ref.account.label, Date.now());
    if (!this.accountTrouble.delete(ref.account.label)) return;
    context.logger.info(`${ref.account.label}: working again`);
  }
}
