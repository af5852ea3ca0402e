// Metrics for monitoring, as a node_exporter textfile (option metricsDirectory): each
// instance writes `mailpump_<component>_<config>_<NN>.prom` there with every heartbeat,
// whole or not at all (a temporary file renamed over it), and removes it when it stops, so a
// stopped instance leaves no stale numbers. The text is prom-client's exposition.
import fs from 'node:fs';
import path from 'node:path';
import { Counter, Gauge, Registry } from 'prom-client';
import { backlogEnd, mailboxState } from '../supervisor/instanceFiles.js';
import type { BrokerReport } from './brokerLink.js';
import type { InstanceContext } from './runtime.js';

const MAILBOX_STATES = ['ok', 'retrying', 'failing'] as const;

export class MetricsFile {
  private readonly registry = new Registry();
  private readonly file: string;
  /** what each counter of the context was at the last write, for the counter's increment */
  private readonly written = new Map<string, number>();

  /** `totals`: the config's totals since its first start (progressStore.ts), the same in each of its instances' files */
  constructor(directory: string, stem: string, context: InstanceContext, startedAt: Date, totals: () => Readonly<Record<string, number>>) {
    this.file = path.join(directory, `mailpump_${stem}.prom`);
    const { config, instance } = context;
    this.registry.setDefaultLabels({ component: config.id.component, config: config.id.name, instance: String(instance) });
    const events = new Counter({
      name: 'mailpump_events_total', help: 'What the instance did since it started, by kind (messages, files, announced, duplicates, quarantined, deadLetters, errors...).',
      labelNames: ['event'], registers: [this.registry],
      collect: () => {
        for (const [event, value] of Object.entries(context.counters)) {
          const increment = value - (this.written.get(event) ?? 0);
          if (increment > 0) events.inc({ event }, increment);
          this.written.set(event, value);
        }
      },
    });
    new Gauge({
      name: 'mailpump_mailbox_state', help: 'Per mailbox (or broker) the instance serves: 1 for its state (ok, retrying, failing), 0 for the others.',
      labelNames: ['mailbox', 'state'], registers: [this.registry],
      collect() {
        this.reset();
        const now = Date.now();
        for (const report of context.mailboxes) {
          const state = mailboxState(report, now);
          for (const each of MAILBOX_STATES) this.set({ mailbox: report.account, state: each }, each === state ? 1 : 0);
        }
      },
    });
    new Counter({
      name: 'mailpump_config_events_total', help: 'What the config did since it was first started, kept across restarts: the same in each of its instances (take max by config).',
      labelNames: ['event'], registers: [this.registry],
      collect() {
        this.reset();
        for (const [event, value] of Object.entries(totals())) this.inc({ event }, value);
      },
    });
    new Gauge({
      name: 'mailpump_rate_per_minute', help: 'Notifications handled (a subscribe) or announced (a poll) per minute over the last minute.',
      registers: [this.registry],
      collect() {
        this.set(context.ratePerMinute);
      },
    });
    // What remains on the server and the end of a backfill are a poll's to know.
    if (config.id.component === 'poll') {
      new Gauge({
        name: 'mailpump_mailbox_remaining_messages', help: 'A poll: messages found new on the server and not announced yet (a backfill in batches).',
        labelNames: ['mailbox'], registers: [this.registry],
        collect() {
          this.reset();
          for (const report of context.mailboxes) if (report.remaining !== undefined) this.set({ mailbox: report.account }, report.remaining);
        },
      });
      new Gauge({
        name: 'mailpump_backfill_end_time_seconds', help: 'A poll: when what remains on the servers will be announced at the rate of the last minute (Unix time); 0 when nothing remains or nothing moves.',
        registers: [this.registry],
        collect() {
          this.reset();
          const end = backlogEnd(context.mailboxes.reduce((sum, report) => sum + (report.remaining ?? 0), 0), context.ratePerMinute);
          if (end !== undefined) this.set(end / 1000);
        },
      });
    }
    new Gauge({
      name: 'mailpump_mailbox_last_success_time_seconds', help: 'When the instance last worked with the mailbox: a pass (a poll), a message (a subscribe) (Unix time).',
      labelNames: ['mailbox'], registers: [this.registry],
      collect() {
        this.reset();
        for (const report of context.mailboxes) if (report.lastSuccess) this.set({ mailbox: report.account }, Date.parse(report.lastSuccess) / 1000);
      },
    });
    // The queue the instance reads, one figure of its broker report each.
    const queueGauge = (name: string, help: string, figure: (broker: BrokerReport) => number | undefined) => new Gauge({
      name, help, labelNames: ['queue'], registers: [this.registry],
      collect() {
        this.reset();
        const broker = context.broker;
        const value = broker ? figure(broker) : undefined;
        if (broker?.queue !== undefined && value !== undefined) this.set({ queue: broker.queue }, value);
      },
    });
    queueGauge('mailpump_queue_oldest_age_seconds', 'Seconds the oldest notification waiting for the instance has waited (in hand, or the last taken while more wait); 0 when none waits.',
      (broker) => broker.oldestAgeSeconds);
    queueGauge('mailpump_queue_depth', 'Notifications waiting in the queue the instance reads, at its last look.', (broker) => broker.depth);
    new Gauge({
      name: 'mailpump_broker_connected', help: '1 while the instance is connected to its broker.',
      labelNames: ['broker'], registers: [this.registry],
      collect() {
        this.reset();
        if (context.broker) this.set({ broker: context.broker.label }, context.broker.state === 'connected' ? 1 : 0);
      },
    });
    new Gauge({ name: 'mailpump_instance_start_time_seconds', help: 'When the instance started (Unix time).', registers: [this.registry] }).set(startedAt.getTime() / 1000);
    new Gauge({
      name: 'mailpump_last_activity_time_seconds', help: 'When the instance last did work: a message, a pass (Unix time); absent before its first.',
      registers: [this.registry],
      collect() {
        if (context.lastActivity) this.set(context.lastActivity.getTime() / 1000);
      },
    });
  }

  private removed = false;

  async write(): Promise<void> {
    const text = await this.registry.metrics();
    // A write begun before the stop must not bring the file back after it.
    if (this.removed) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, text, { mode: 0o644 });
    fs.renameSync(temporary, this.file);
  }

  remove(): void {
    this.removed = true;
    fs.rmSync(this.file, { force: true });
  }
}
