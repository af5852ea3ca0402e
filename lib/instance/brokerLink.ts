// An instance's link to its broker: a subscribe's broker (its queue declared), a poll's
// post broker (its exchange declared). Connection changes are logged once each; the state
// and the queue depth go into the heartbeat, which is what sr status shows.
import type { Broker, BrokerState } from '../broker/broker.js';
import { openBroker } from '../broker/open.js';
import { postTarget, subscribeQueue } from '../broker/topology.js';
import type { CredentialsStore } from '../config/credentials.js';
import type { SrPaths } from '../config/paths.js';
import type { InstanceContext, Worker } from './runtime.js';

export interface BrokerReport {
  readonly label: string;
  readonly state: BrokerState;
  readonly queue?: string;
  /** notifications waiting in the queue at the last heartbeat */
  readonly depth?: number;
}

export class BrokerLinkWorker implements Worker {
  private stopRequested: () => void = () => undefined;
  private readonly stopped = new Promise<void>((resolve) => { this.stopRequested = resolve; });

  constructor(private readonly paths: SrPaths, private readonly credentials: CredentialsStore) {}

  stop(): void {
    this.stopRequested();
  }

  async run(context: InstanceContext): Promise<void> {
    const { config, logger } = context;
    const post = postTarget(config);
    const url = config.id.component === 'subscribe' ? config.str('broker') : post?.url;
    let broker: Broker | undefined;
    const report = (extra: Partial<BrokerReport> = {}) => {
      context.broker = { ...context.broker, label: broker?.label ?? 'local:', state: broker?.state ?? 'connecting', ...extra };
    };
    broker = await openBroker(url, {
      paths: this.paths,
      credentials: this.credentials,
      persistent: true,
      onStateChange: (state, detail) => {
        if (state === 'connected') logger.info(`broker ${broker?.label}: connected`);
        else logger.warning(`broker ${broker?.label}: ${state} (${detail}); reconnecting`);
        report();
      },
    });
    report();
    try {
      if (await this.untilStopped(broker.ready())) return;
      if (config.id.component === 'subscribe') {
        const queue = subscribeQueue(this.paths, config);
        await broker.declareQueue(queue);
        logger.info(`queue ${queue.name} bound to ${queue.bindings.map((b) => `${b.exchange} ${b.topic}`).join(', ')}`);
        await this.reportDepth(context, broker, queue.name, report);
      } else if (post) {
        await broker.declareExchange(post.exchange);
        logger.info(`announcing on exchange ${post.exchange} of ${broker.label}`);
      }
      await this.stopped;
    } finally {
      await broker.close();
    }
  }

  /** Resolves true when stop came first. */
  private async untilStopped(work: Promise<void>): Promise<boolean> {
    return Promise.race([work.then(() => false), this.stopped.then(() => true)]);
  }

  private async reportDepth(context: InstanceContext, broker: Broker, queue: string, report: (extra: Partial<BrokerReport>) => void): Promise<void> {
    const interval = context.config.number('metrics_writeInterval') * 1000;
    for (;;) {
      try {
        report({ queue, depth: await broker.queueDepth(queue) });
      } catch {
        report({ queue }); // disconnected: the state says so
      }
      if (await this.untilStopped(new Promise((resolve) => setTimeout(resolve, interval)))) return;
    }
  }
}
