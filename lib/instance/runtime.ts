// The loop every instance runs, whatever its component: pid file, heartbeat with counters
// on a timer (independent of the log level, so sr status and sr sanity can tell a quiet
// instance from a hung one), housekeeping, and a clean stop on SIGTERM or SIGINT that lets
// the work in hand finish before connections are closed and the pid file is removed.
import type { Config } from '../config/load.js';
import { heartbeatFile, instanceStem, pidFile, progressFile, type SrPaths } from '../config/paths.js';
import { formatDuration } from '../config/values.js';
import { type EventLog, eventLog } from '../flow/logEvents.js';
import type { Logger } from '../log/logger.js';
import { type LongTimer, longTimeout } from '../system/timers.js';
import type { BrokerReport } from './brokerLink.js';
import { MetricsFile } from './metrics.js';
import { type MailboxReport, removeFile, writeHeartbeat, writePid } from '../supervisor/instanceFiles.js';
import { type ProgressDeltas, ProgressStore } from '../state/progressStore.js';

export type { MailboxReport };

/** The component's work. `run` resolves once `stop` was asked and the work in hand is done. */
export interface Worker {
  run(context: InstanceContext): Promise<void>;
  stop(): void;
}

/** A stop request a worker can wait on, or race its work against. */
export class StopSignal {
  private resolve: () => void = () => undefined;
  private requested = false;
  readonly promise = new Promise<void>((resolve) => { this.resolve = resolve; });

  stop(): void {
    this.requested = true;
    this.resolve();
  }

  get stopped(): boolean {
    return this.requested;
  }

  /** Resolves true when stop came first. */
  async until(work: Promise<unknown>): Promise<boolean> {
    return Promise.race([work.then(() => false), this.promise.then(() => true)]);
  }

  async sleep(milliseconds: number): Promise<boolean> {
    let timer: LongTimer | undefined;
    const done = await this.until(new Promise<void>((resolve) => { timer = longTimeout(resolve, milliseconds); }));
    timer?.clear();
    return done;
  }
}

/** What an instance's work reports back: shown by sr status through the heartbeat. */
export class InstanceContext {
  readonly counters: Record<string, number> = {};
  lastActivity: Date | undefined;
  notes: string[] = [];
  broker: BrokerReport | undefined;
  mailboxes: MailboxReport[] = [];
  /** vip: what this host waits for while another polls; undefined when it works */
  standby: string | undefined;

  /** logEvents: which steps of a message's way are said at info */
  readonly events: EventLog;

  constructor(
    readonly config: Config,
    readonly instance: number,
    readonly logger: Logger,
  ) {
    this.events = eventLog(config, logger);
  }

  /** `mailbox`: the account the count is about, for the per-mailbox totals. */
  count(counter: string, amount = 1, mailbox?: string): void {
    this.counters[counter] = (this.counters[counter] ?? 0) + amount;
    if (mailbox !== undefined) {
      const counters = (this.mailboxCounters[mailbox] ??= {});
      counters[counter] = (counters[counter] ?? 0) + amount;
    }
    this.lastActivity = new Date();
  }

  /** the counters per mailbox (account label), as `counters` is for the whole instance */
  private readonly mailboxCounters: Record<string, Record<string, number>> = {};

  private handledSoFar = 0;
  /** counters as last added to the config's totals */
  private recorded: Record<string, number> = {};
  /** (time, handled so far) at each heartbeat of the last minute and a bit: the rate */
  private samples: Array<{ at: number; handled: number }> = [];

  /** counters per mailbox as last added to the totals */
  private recordedPerMailbox: Record<string, Record<string, number>> = {};

  /** What the counters grew by since the last call, in all and per mailbox: the totals in the state store get it. */
  takeDeltas(): ProgressDeltas {
    const grown = (now: Readonly<Record<string, number>>, before: Readonly<Record<string, number>> = {}) =>
      Object.fromEntries(Object.entries(now).map(([name, value]) => [name, value - (before[name] ?? 0)]));
    const deltas: ProgressDeltas = {
      all: grown(this.counters, this.recorded),
      perMailbox: Object.fromEntries(Object.entries(this.mailboxCounters).map(([mailbox, counters]) => [mailbox, grown(counters, this.recordedPerMailbox[mailbox])])),
    };
    this.recorded = { ...this.counters };
    this.recordedPerMailbox = Object.fromEntries(Object.entries(this.mailboxCounters).map(([mailbox, counters]) => [mailbox, { ...counters }]));
    return deltas;
  }

  /** Notifications handled (a subscribe) or announced (a poll) per minute over the last minute, as of the last heartbeat. */
  ratePerMinute = 0;

  /** Takes a sample for the rate, once per heartbeat (the samples are the rate's window). */
  sampleRate(now = Date.now()): void {
    this.samples.push({ at: now, handled: this.handledSoFar });
    this.samples = this.samples.filter((sample) => now - sample.at <= 65_000);
    const first = this.samples[0]!;
    const seconds = (now - first.at) / 1000;
    this.ratePerMinute = seconds < 1 ? 0 : Math.round(((this.handledSoFar - first.handled) / seconds) * 60);
  }
  /** set by runInstance: a stop, as on SIGTERM */
  onMessageCountMax: (() => void) | undefined;

  /**
   * Notifications finished with (a subscribe) or announced (a poll): with messageCountMax,
   * the instance stops once it has handled that many (sr3), finishing what it holds.
   */
  handled(amount = 1): void {
    this.handledSoFar += amount;
    const max = this.config.number('messageCountMax');
    if (max > 0 && this.handledSoFar >= max && this.onMessageCountMax) {
      const stop = this.onMessageCountMax;
      this.onMessageCountMax = undefined;
      this.logger.info(`messageCountMax ${max} reached (${this.handledSoFar} handled): stopping`);
      stop();
    }
  }
}

export async function runInstance(paths: SrPaths, context: InstanceContext, worker: Worker | undefined): Promise<void> {
  const { config, instance, logger } = context;
  const startedAt = new Date();
  const ownPidFile = pidFile(paths, config.id, instance);
  const ownHeartbeat = heartbeatFile(paths, config.id, instance);
  writePid(ownPidFile, process.pid);

  const metricsDirectory = config.str('metricsDirectory');
  // Totals since the config's first start: a failure to add them never stops the ingest.
  let progress: ProgressStore | undefined;
  const metrics = metricsDirectory
    ? new MetricsFile(metricsDirectory, instanceStem(config.id, instance), context, startedAt, () => progress?.totals() ?? {})
    : undefined;
  let saidMetricsFailure = false;
  const writeMetrics = () => metrics?.write().catch((error: unknown) => {
    // Monitoring must not stop the ingest: said once, tried again at the next beat.
    if (!saidMetricsFailure) logger.warning(`metricsDirectory ${metricsDirectory}: cannot write the metrics: ${(error as Error)?.message ?? String(error)}`);
    saidMetricsFailure = true;
  });
  const recordProgress = () => {
    try {
      progress ??= ProgressStore.open(progressFile(paths, config.id));
      progress.add(context.takeDeltas());
    } catch (error) {
      logger.warning(`cannot add to the totals in ${progressFile(paths, config.id)}: ${(error as Error)?.message ?? String(error)}`);
    }
  };
  const beat = () => {
    context.sampleRate();
    recordProgress();
    writeBeat();
    void writeMetrics();
  };
  const writeBeat = () => writeHeartbeat(ownHeartbeat, {
    pid: process.pid,
    instance,
    startedAt: startedAt.toISOString(),
    updatedAt: new Date().toISOString(),
    ...(context.lastActivity ? { lastActivity: context.lastActivity.toISOString() } : {}),
    counters: context.counters,
    notes: context.notes,
    ...(context.broker ? { broker: context.broker } : {}),
    mailboxes: context.mailboxes,
    ratePerMinute: context.ratePerMinute,
    ...(context.standby ? { standby: context.standby } : {}),
  });
  beat();
  const heartbeatTimer = setInterval(beat, config.number('metrics_writeInterval') * 1000);
  const housekeepingTimer = setInterval(() => {
    const uptime = formatDuration(Math.round((Date.now() - startedAt.getTime()) / 1000));
    context.events('on_housekeeping', () => `housekeeping: up ${uptime}, counters ${JSON.stringify(context.counters)}`);
  }, config.number('housekeeping') * 1000);

  let stopRequested: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => { stopRequested = resolve; });
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info(`${signal} received: finishing the work in hand, then stopping`);
    worker?.stop();
    stopRequested?.();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  context.onMessageCountMax = () => {
    worker?.stop();
    stopRequested?.();
  };

  logger.info(`${config.label} instance ${instance} started (pid ${process.pid})`);
  try {
    await Promise.all([worker?.run(context), stopped]);
  } finally {
    // On failure the pid file stays: the instance shows as crashed and sr sanity restarts it.
    clearInterval(heartbeatTimer);
    clearInterval(housekeepingTimer);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  recordProgress();
  progress?.close();
  metrics?.remove();
  removeFile(ownHeartbeat);
  removeFile(ownPidFile);
  logger.info(`${config.label} instance ${instance} stopped`);
}
