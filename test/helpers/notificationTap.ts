// A queue bound to an exchange that subscribes post to, on the local broker of a sandbox or
// on the bench RabbitMQ: every file notification they announce, as it came.
import path from 'node:path';
import { LocalBroker } from '../../lib/broker/local.js';
import type { Notification } from '../../lib/message.js';
import type { Bench } from '../bench/bench.js';
import { amqpTarget, openTarget } from './brokerTarget.js';

export interface NotificationTap {
  /** in the order they came */
  readonly notifications: readonly Notification[];
  close(): Promise<void>;
}

export async function tapNotifications(bench: Bench, brokerKind: 'local' | 'rabbitmq', cacheDir: string, exchange: string): Promise<NotificationTap> {
  const broker = brokerKind === 'local' ? LocalBroker.open(path.join(cacheDir, 'broker', 'local.sqlite')) : await openTarget(amqpTarget(bench));
  const queue = `q_${bench.rabbit.user}.tap.${Date.now().toString(36)}`;
  await broker.declareQueue({ name: queue, bindings: [{ exchange, topic: '#' }], expireSeconds: 0, messageAgeMaxSeconds: 0 });
  const notifications: Notification[] = [];
  await broker.consume(queue, 100, async (delivery) => {
    notifications.push(JSON.parse(delivery.body.toString()) as Notification);
    await delivery.ack();
  });
  return {
    notifications,
    close: async () => {
      if (brokerKind === 'rabbitmq') await broker.deleteQueue(queue).catch(() => undefined);
      await broker.close();
    },
  };
}
