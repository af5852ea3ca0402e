// An instance's link to its broker: opened with the connection state reported into the
// heartbeat (so sr status shows it) and logged once per change.
import type { Broker, BrokerState } from '../broker/broker.js';
import { openBroker } from '../broker/open.js';
import type { CredentialsStore } from '../config/credentials.js';
import type { SrPaths } from '../config/paths.js';
import type { InstanceContext } from './runtime.js';

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
