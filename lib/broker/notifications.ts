// Notifications over a broker: publishing encodes and routes a v03 notification; consuming
// decodes each body, and one that cannot be read is logged with its queue and an excerpt,
// kept in the broker's dead letters and acknowledged, so it never blocks or crashes anything.
import type { Logger } from '../log/logger.js';
import { decodeNotification, encodeNotification, excerpt, MalformedMessage, type Notification, topicOf, V03_CONTENT_TYPE } from '../message.js';
import { type Broker, BrokerError, type DeadLetterBounds, type RawDelivery, type Subscription, UNBOUNDED, Unroutable } from './broker.js';

/**
 * Publishes and waits for the broker's confirmation; a failure is a BrokerError (it passes).
 * `mandatory`: Unroutable when no queue takes it (see Broker.publish).
 */
export async function publishNotification(broker: Broker, exchange: string, topicPrefix: string, notification: Notification, mandatory = false): Promise<void> {
  try {
    await broker.publish(exchange, topicOf(topicPrefix, notification.relPath), encodeNotification(notification), V03_CONTENT_TYPE, mandatory);
  } catch (error) {
    if (error instanceof BrokerError || error instanceof Unroutable) throw error;
    throw new BrokerError((error as Error)?.message ?? String(error), { cause: error });
  }
}

/** `handle` acknowledges or requeues the delivery itself, once its work is durable. */
export async function consumeNotifications(
  broker: Broker,
  queue: string,
  prefetch: number,
  logger: Logger,
  handle: (notification: Notification, delivery: RawDelivery) => Promise<void>,
  deadLetters: { readonly bounds: DeadLetterBounds; readonly onDeadLetter?: () => void } = { bounds: UNBOUNDED },
): Promise<Subscription> {
  return broker.consume(queue, prefetch, async (delivery) => {
    let notification: Notification;
    try {
      notification = decodeNotification(delivery.body, delivery.contentType);
    } catch (error) {
      if (!(error instanceof MalformedMessage)) throw error;
      logger.error(`${queue}: malformed notification (${error.message}), moved to the dead letters: ${excerpt(delivery.body)}`);
      await broker.deadLetter(queue, delivery.body, error.message, deadLetters.bounds);
      deadLetters.onDeadLetter?.();
      await delivery.ack();
      return;
    }
    await handle(notification, delivery);
  });
}
