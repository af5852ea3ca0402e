// Opening the broker a config names: nothing or `local:` is the embedded broker under the
// cache directory; amqp:// and amqps:// are RabbitMQ with the password from credentials.conf.
import path from 'node:path';
import type { CredentialsStore } from '../config/credentials.js';
import type { Config } from '../config/load.js';
import type { SrPaths } from '../config/paths.js';
import { parseServiceUrl, withoutPassword } from '../config/urls.js';
import { AmqpBroker } from './amqp.js';
import type { Broker, BrokerState } from './broker.js';
import { LocalBroker } from './local.js';

export interface OpenOptions {
  readonly paths: SrPaths;
  readonly credentials: CredentialsStore;
  /** instances keep reconnecting; commands (sr declare, sr cleanup) give up quickly */
  readonly persistent: boolean;
  readonly onStateChange?: (state: BrokerState, detail: string) => void;
}

export function localBrokerFile(paths: SrPaths): string {
  return path.join(paths.cacheDir, 'broker', 'local.sqlite');
}

export function isLocal(url: string | undefined): boolean {
  return url === undefined || parseServiceUrl(url).scheme === 'local';
}

/** Two broker URLs of configs name the same broker (every way of saying the local one is one). */
export function sameBroker(a: string | undefined, b: string | undefined): boolean {
  return a === b || (isLocal(a) && isLocal(b));
}

/** The user a broker URL names (`anonymous` for the local broker), for sr3's exchange and queue names. */
export function brokerUser(url: string | undefined): string {
  return isLocal(url) ? 'anonymous' : parseServiceUrl(url!).user || 'anonymous';
}

/** Fails, before anything starts, when a broker the config names has no password. */
export function checkBrokerPasswords(config: Config, credentials: CredentialsStore): void {
  for (const url of [config.value('post_broker'), config.id.component === 'subscribe' ? config.value('broker') : undefined]) {
    if (typeof url === 'string' && !isLocal(url)) credentials.passwordFor(url, withoutPassword(url));
  }
}

/** Opens the broker without waiting for a connection: `await broker.ready()` for that. */
export async function openBroker(url: string | undefined, options: OpenOptions): Promise<Broker> {
  if (isLocal(url)) return LocalBroker.open(localBrokerFile(options.paths));
  const parsed = parseServiceUrl(url!);
  const label = withoutPassword(url!);
  const password = options.credentials.passwordFor(url!, label);
  const vhost = decodeURIComponent(parsed.path.replace(/^\//, '')) || '/';
  return AmqpBroker.open({
    protocol: parsed.scheme as 'amqp' | 'amqps', hostname: parsed.host, port: parsed.port ?? 5672,
    username: parsed.user || 'anonymous', password, vhost, label,
  }, { persistent: options.persistent, onStateChange: options.onStateChange });
}
