// An instance's link to its broker: opened with the connection state reported into the
// heartbeat (so sr status shows it) and logged once per change.
import { type Broker, BrokerRefused, type BrokerState } from '../broker/broker.js';
import { openBroker, sameBroker } from '../broker/open.js';
import type { PostTarget } from '../broker/topology.js';
import type { CredentialsStore } from '../config/credentials.js';
import type { SrPaths } from '../config/paths.js';
import type { InstanceContext, StopSignal } from './runtime.js';

export interface BrokerReport {
  readonly label: string;
  readonly state: BrokerState;
  readonly queue?: string;
  /** notifications waiting in the queue at the last heartbeat */
  readonly depth?: number;
  /** seconds the oldest notification waiting for the instance has waited (notificationLag.ts) */
  readonly oldestAgeSeconds?: number;
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

/** The broker a config announces on: the one it reads from when they are the same, else its own link. */
export async function openPostBroker(paths: SrPaths, credentials: CredentialsStore, context: InstanceContext, post: PostTarget, reading: Broker, readingUrl: string | undefined): Promise<Broker> {
  if (sameBroker(post.url, readingUrl)) return reading;
  const { logger } = context;
  return openBroker(post.url, {
    paths, credentials, persistent: true,
    onStateChange: (state, detail) => logger[state === 'connected' ? 'info' : 'warning'](`post_broker ${post.url}: ${state}${detail ? ` (${detail})` : ''}`),
  });
}

/** Pauses between tries of a refused declaration: short at first (the poll started beside may declare its exchange any moment), then every 30 s. */
const DECLARE_RETRY_MS = [1000, 2000, 4000, 8000, 15000, 30000];

/**
 * Declares what the instance needs on its broker (`declare`), trying again until it is done
 * or a stop is asked (then true). What the broker refuses (a permission sr3's roles do not
 * give, an exchange nobody declared yet) is logged once per cause and shown by sr status
 * as the broker's trouble (`failing` at once for a permission); anything else is thrown.
 */
export async function declareOnBroker(context: InstanceContext, broker: Broker, stop: StopSignal, declare: () => Promise<void>): Promise<boolean> {
  const since = new Date().toISOString();
  let said: string | undefined;
  for (let attempt = 0; ; attempt += 1) {
    try {
      await declare();
      if (said !== undefined) context.logger.info(`broker ${broker.label}: declared, after ${attempt} refusals`);
      context.mailboxes = [];
      return false;
    } catch (error) {
      if (!(error instanceof BrokerRefused)) throw error;
      const pause = DECLARE_RETRY_MS[Math.min(attempt, DECLARE_RETRY_MS.length - 1)]!;
      // An exchange not there yet is what a subscribe started before its poll meets: a warning;
      // a permission refused will not pass by itself.
      const line = `${error.message}; trying again every ${DECLARE_RETRY_MS.at(-1)! / 1000} s at most`;
      if (error.message !== said) {
        if (error.lasting) context.logger.error(line);
        else context.logger.warning(line);
      }
      said = error.message;
      context.mailboxes = [{
        account: `broker ${broker.label}`, state: 'failing', since, cause: error.message, nextTry: new Date(Date.now() + pause).toISOString(), lasting: error.lasting,
      }];
      if (await stop.sleep(pause)) return true;
    }
  }
}
