// How a test (or a child process it starts) reaches the broker under test.
import { AmqpBroker } from '../../lib/broker/amqp.js';
import type { Broker } from '../../lib/broker/broker.js';
import { LocalBroker } from '../../lib/broker/local.js';
import type { Bench } from '../bench/bench.js';

export type BrokerTarget =
  | { readonly kind: 'local'; readonly file: string }
  | { readonly kind: 'amqp'; readonly port: number; readonly user: string; readonly password: string; readonly vhost: string };

export function amqpTarget(bench: Bench): BrokerTarget {
  return { kind: 'amqp', port: bench.rabbit.port, user: bench.rabbit.user, password: bench.rabbit.password, vhost: bench.rabbit.vhost };
}

export async function openTarget(target: BrokerTarget, onState?: (state: string) => void): Promise<Broker> {
  if (target.kind === 'local') return LocalBroker.open(target.file);
  const broker = await AmqpBroker.open({
    protocol: 'amqp', hostname: '127.0.0.1', port: target.port, username: target.user, password: target.password,
    vhost: target.vhost, label: `amqp://${target.user}@127.0.0.1:${target.port}/${target.vhost}`,
  }, { persistent: true, onStateChange: onState });
  await broker.ready();
  return broker;
}
