// An instance's link to its broker: opened with the connection state reported into the
// heartbeat (so sr status shows it) and logged once per change.
import type { Broker, BrokerState } from '../broker/broker.js';
import { openBroker } from '../broker/open.js';
import { subscribeQueue } from '../broker/topology.js';
import type { CredentialsStore } from '../config/credentials.js';
import type { SrPaths } from '../config/paths.js';
import { type InstanceContext, StopSignal, type Worker } from './runtime.js';

export interface BrokerReport {
  readonly label: string;
  readonly state: BrokerState;
  readonly queue?: string;
  /** notifications waiting in the queue at the last heartbeat */
  readonly depth?: number;
}

export function reportBroker(context: InstanceContext, broker: Broker, extra: Partial<BrokerReport> = {}): void {
  context.broker = { ...context.broker, label: broker.label, state: broker.state, ...extra };
}

/** Opens the broker at `url` (undefined: the local one) for an instance, reporting its state. */
export async function openBrokerLink(paths: SrPaths, credentials: CredentialsStore, context: InstanceContext, url: string | undefined): Promise<Broker> {
  const { logger } = context;
  const broker: Broker = await openBroker(url, {
    paths,
    credentials,
    persistent: true,
    onStateChange: (state, detail) => {
      if (state === 'connected') logger.info(`broker ${broker.label}: connected`);
      else logger.warning(`broker ${broker.label}: ${state} (${detail}); reconnecting`);
      reportBroker(context, broker);
    },
  });
  reportBroker(context, broker);
  return broker;
}

/** What a subscribe instance does until its mail work exists: hold its queue and report its depth. */
export class QueueHolder implements Worker {
  private readonly stopSignal = new StopSignal();

  constructor(private readonly paths: SrPaths, private readonly credentials: CredentialsStore) {}

  stop(): void {
    this.stopSignal.stop();
  }

  async run(context: InstanceContext): Promise<void> {
    const { config, logger } = context;
    const broker = await openBrokerLink(this.paths, this.credentials, context, config.str('broker'));
    try {
      if (await this.stopSignal.until(broker.ready())) return;
      const queue = subscribeQueue(this.paths, config);
      await broker.declareQueue(queue);
      logger.info(`queue ${queue.name} bound to ${queue.bindings.map((b) => `${b.exchange} ${b.topic}`).join(', ')}`);
      const interval = config.number('metrics_writeInterval') * 1000;
      do {
        try {
          reportBroker(context, broker, { queue: queue.name, depth: await broker.queueDepth(queue.name) });
        } catch {
          reportBroker(context, broker, { queue: queue.name }); // disconnected: the state says so
        }
      } while (!(await this.stopSignal.sleep(interval)));
    } finally {
      await broker.close();
    }
  }
}
